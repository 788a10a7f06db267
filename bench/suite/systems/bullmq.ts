/**
 * BullMQ on Redis, as most NestJS teams run their jobs: a Queue enqueues with addBulk / add, a
 * Worker with concurrency 10 runs the no-op handler. Everything else is BullMQ's default, notably
 * removeOnComplete false: completed jobs are kept, as DataQueue keeps its job records. Each setup
 * takes a fresh queue name and each teardown obliterates it, so runs in one Redis never meet.
 *
 * The Redis is the one main.ts starts (redis-server.ts); its pid lets the CPU meter read Redis's
 * CPU where the other columns read Postgres's.
 */
import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { BenchPayload, JobListener, SystemAdapter } from '../types.js';

const JOB = 'noop';
const YEAR_MS = 365 * 86_400_000;
/** Backlog copies per script call: long enough to amortize the call, short enough not to stall Redis for long. */
const SEED_CHUNK = 10_000;

/**
 * Copies one job ARGV[1] times: each copy takes the next id from the queue's counter, the
 * template's hash fields and the template's score in the delayed set, as `add` would have given it.
 * KEYS: template hash, id counter, delayed set. ARGV: copies, the job key prefix, the template id.
 */
const CLONE_DELAYED_JOB = `
local fields = redis.call('HGETALL', KEYS[1])
local score = redis.call('ZSCORE', KEYS[3], ARGV[3])
for _ = 1, tonumber(ARGV[1]) do
  local id = redis.call('INCR', KEYS[2])
  redis.call('HSET', ARGV[2] .. id, unpack(fields))
  redis.call('ZADD', KEYS[3], score, id)
end`;

export class BullMqSystem implements SystemAdapter {
  private queue: Queue<BenchPayload> | null = null;
  private worker: Worker<BenchPayload> | null = null;
  private setups = 0;
  /** Delayed jobs put there by seedBacklog, which never become due during a run. */
  private backlog = 0;

  private constructor(
    private readonly url: string,
    readonly settings: string,
    readonly serverPid: number | undefined,
  ) {}

  /** Reads the server's version, persistence settings and pid. */
  static async open(url: string): Promise<BullMqSystem> {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    const info = await client.info('server');
    const config = (await client.call('CONFIG', 'GET', 'appendonly', 'appendfsync', 'save')) as string[];
    await client.quit();
    const persistence = pairs(config)
      .map(([name, value]) => `${name} ${value === '' ? "''" : value}`)
      .join(', ');
    const settings =
      `new Worker(queue, handler, { concurrency: 10 }), otherwise defaults (removeOnComplete false keeps every completed job); ` +
      `Queue.addBulk / add; 3 Redis connections (the Queue's, the Worker's and its blocking one); ` +
      `W5 backlog: one add({ delay: a year }) copied by a Lua script (HSET + ZADD delayed per copy); ` +
      `Redis ${field(info, 'redis_version')} on 127.0.0.1 with ${persistence}; ` +
      "the server CPU rows are redis-server's (with any AOF-rewrite child)";
    return new BullMqSystem(url, settings, localRedisPid(info));
  }

  async setup(): Promise<void> {
    this.queue = new Queue<BenchPayload>(`${JOB}-${process.pid}-${++this.setups}`, { connection: { url: this.url } });
    this.queue.on('error', (error) => console.error(`[bullmq] ${error.message}`));
    await this.queue.waitUntilReady();
    this.backlog = 0;
  }

  async bulkEnqueue(count: number, chunk: number): Promise<void> {
    for (let start = 0; start < count; start += chunk) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) jobs.push({ name: JOB, data: { i } });
      await this.queue!.addBulk(jobs);
    }
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.queue!.add(JOB, payload);
  }

  async startWorker(listener: JobListener): Promise<void> {
    const worker = new Worker<BenchPayload>(
      this.queue!.name,
      async (job) => {
        listener(job.data);
      },
      { connection: { url: this.url }, concurrency: 10 },
    );
    worker.on('error', (error) => console.error(`[bullmq] ${error.message}`));
    await worker.waitUntilReady();
    this.worker = worker;
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  /** A failed job counts as unfinished: only a completed one is done. */
  async unfinishedCount(): Promise<number> {
    const pending = await this.queue!.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
    return pending - this.backlog;
  }

  /** Redis has no planner statistics to gather. */
  async analyze(): Promise<void> {}

  countJobs(): Promise<number> {
    return this.queue!.getJobCountByTypes(); // every state
  }

  async seedBacklog(count: number): Promise<void> {
    const queue = this.queue!;
    const template = await queue.add(JOB, { i: -1 }, { delay: YEAR_MS });
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      for (let copied = 0; copied < count - 1; copied += SEED_CHUNK) {
        const copies = Math.min(SEED_CHUNK, count - 1 - copied);
        await client.eval(
          CLONE_DELAYED_JOB,
          3,
          queue.toKey(template.id!),
          queue.keys.id,
          queue.keys.delayed,
          copies,
          queue.toKey(''),
          template.id!,
        );
      }
    } finally {
      await client.quit();
    }
    this.backlog = count;
  }

  async teardown(): Promise<void> {
    await this.stopWorker();
    await this.queue?.obliterate({ force: true });
    await this.queue?.close();
    this.queue = null;
  }
}

/** [name, value, name, value, …] → [[name, value], …] */
function pairs(flat: string[]): [string, string][] {
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
}

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? 'unknown';
}

/** The server's pid when it runs on this machine (its /proc entry is a redis-server), else undefined. */
function localRedisPid(info: string): number | undefined {
  const pid = Number(field(info, 'process_id'));
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server') ? pid : undefined;
  } catch {
    return undefined;
  }
}
