import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IsInt } from 'class-validator';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  IdempotencyKeyConflictError,
  JobHandler,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  type EnqueueOptions,
  type JobContext,
  type JobRecord,
} from '@dataqueue/nestjs';
import { Gates } from './support/gates.js';
import { createTestApp, waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOUR = 3_600_000;
const later = { delayMs: HOUR };
const gates = new Gates();

class VersionDto {
  @IsInt() v!: number;
}

/** Returns its payload; fails for good when asked to (one attempt). */
@JobHandler('versioned', { payload: VersionDto, maxAttempts: 1 })
class VersionedHandler {
  handle(payload: VersionDto & { fail?: boolean }): VersionDto {
    if (payload.fail) throw new Error('asked to fail');
    return payload;
  }
}

/** Holds until the test opens the gate named in its payload. */
@JobHandler('held')
class HeldHandler {
  async handle(payload: { gate: string; v: number }, ctx: JobContext): Promise<number> {
    await gates.wait(payload.gate, ctx.signal);
    return payload.v;
  }
}

@JobHandler('per-account', { concurrency: { key: { payload: 'account' }, performLimit: 1 } })
class PerAccountHandler {
  handle(): void {}
}

@JobHandler('other-type')
class OtherTypeHandler {
  handle(): void {}
}

describe('idempotency windows, replace and debounce', () => {
  const schema = uniqueSchema();
  let app: TestApp;
  /** A second app on the same schema: its own pool, so its enqueues race the first app's. */
  let peer: TestApp;
  let client: pg.Client;

  beforeAll(async () => {
    const providers = [VersionedHandler, HeldHandler, PerAccountHandler, OtherTypeHandler];
    app = await createTestApp({ providers, options: { schema } });
    peer = await createTestApp({ providers, options: { schema } });
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
  });

  afterAll(async () => {
    gates.openAll();
    await client?.end();
    await peer?.close();
    await app?.close();
    await dropSchema(schema);
  });

  /** Waits until the database clock is past `at` (the windows are measured on it). */
  async function databaseClockPast(at: Date, plusMs: number): Promise<void> {
    await waitFor(
      `the database clock to pass ${at.toISOString()} + ${plusMs} ms`,
      async () =>
        (await client.query<{ past: boolean }>(`SELECT now() > $1::timestamptz + $2 * interval '1 ms' AS past`, [at, plusMs])).rows[0].past,
    );
  }

  async function databaseNow(): Promise<Date> {
    return (await client.query<{ now: Date }>('SELECT now()')).rows[0].now;
  }

  /** Every job that holds `key` now, and every job that ever did (the key comes off a job whose window passed). */
  async function jobsWithKey(key: string): Promise<JobRecord[]> {
    return (await app.queue.listJobs({ limit: 1000 })).jobs.filter((job) => job.idempotencyKey === key);
  }

  describe('idempotencyWindow', () => {
    it('in ms: the key answers with the job until the window has passed on the database clock, then makes a new job that holds it', async () => {
      const first = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-ms', idempotencyWindow: 400, ...later });
      expect((await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'w-ms', idempotencyWindow: 400, ...later })).id).toBe(
        first.id,
      );
      await databaseClockPast(first.createdAt, 400);
      const second = await app.queue.enqueue('versioned', { v: 3 }, { idempotencyKey: 'w-ms', ...later });
      expect(second.id).not.toBe(first.id);
      expect(second).toMatchObject({ idempotencyKey: 'w-ms', payload: { v: 3 } });
      // The first job stays, without the key; the second, enqueued without a window, holds it for good.
      expect(await app.queue.getJob(first.id)).toMatchObject({ status: 'pending', idempotencyKey: null, payload: { v: 1 } });
      expect((await app.queue.enqueue('versioned', { v: 4 }, { idempotencyKey: 'w-ms' })).id).toBe(second.id);
    });

    it("'unfinished': the key is free again once the job completed, failed for good or was cancelled", async () => {
      const window = { idempotencyWindow: 'unfinished' } as const;
      const completed = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-done', ...window });
      await waitForStatus(app.queue, completed.id, 'completed');
      const afterCompleted = await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'w-done', ...window, ...later });
      expect(afterCompleted.id).not.toBe(completed.id);
      // Pending is unfinished: it holds the key.
      expect((await app.queue.enqueue('versioned', { v: 3 }, { idempotencyKey: 'w-done', ...window })).id).toBe(afterCompleted.id);

      const failed = await app.queue.enqueue('versioned', { v: 1, fail: true }, { idempotencyKey: 'w-failed', ...window });
      await waitForFinalFailure(app.queue, failed.id);
      const afterFailed = await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'w-failed', ...window, ...later });
      expect(afterFailed.id).not.toBe(failed.id);

      const cancelled = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-cancelled', ...window, ...later });
      expect((await app.queue.enqueue('versioned', { v: 9 }, { idempotencyKey: 'w-cancelled' })).id).toBe(cancelled.id);
      await app.queue.cancelJob(cancelled.id);
      const afterCancelled = await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'w-cancelled', ...later });
      expect(afterCancelled.id).not.toBe(cancelled.id);

      for (const key of ['w-done', 'w-failed', 'w-cancelled']) expect(await jobsWithKey(key)).toHaveLength(1);
    });

    it('without a window the key holds for as long as the job exists, finished or not (as before windows)', async () => {
      const job = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-none' });
      await waitForStatus(app.queue, job.id, 'completed');
      expect((await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'w-none', idempotencyWindow: 1 })).id).toBe(job.id);
    });

    it('a key held by another job type is refused while its window lasts, and free once it has passed', async () => {
      const other = await app.queue.enqueue('other-type', {}, { idempotencyKey: 'w-typed', idempotencyWindow: 300, ...later });
      await expect(app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-typed' })).rejects.toBeInstanceOf(
        IdempotencyKeyConflictError,
      );
      await databaseClockPast(other.createdAt, 300);
      const mine = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'w-typed', ...later });
      expect(mine).toMatchObject({ jobType: 'versioned', idempotencyKey: 'w-typed' });
    });
  });

  describe("onDuplicate: 'replace'", () => {
    it('gives a pending holder the payload, priority and start of the new enqueue, and returns it', async () => {
      const job = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'r-pending', ...later });
      const runAt = new Date(Date.now() + 2 * HOUR);
      const replaced = await app.queue.enqueue(
        'versioned',
        { v: 2 },
        { idempotencyKey: 'r-pending', onDuplicate: 'replace', priority: -3, runAt },
      );
      expect(replaced).toMatchObject({ id: job.id, payload: { v: 2 }, priority: -3, runAt, status: 'pending' });
      expect(await app.queue.getJob(job.id)).toMatchObject({ payload: { v: 2 }, priority: -3, runAt });
      // The default, 'keep', answers with the job as it is.
      const kept = await app.queue.enqueue('versioned', { v: 3 }, { idempotencyKey: 'r-pending', priority: 5 });
      expect(kept).toMatchObject({ id: job.id, payload: { v: 2 }, priority: -3 });
      // Without a start of its own, the replacement is due now: it runs with the new payload.
      await app.queue.enqueue('versioned', { v: 4 }, { idempotencyKey: 'r-pending', onDuplicate: 'replace' });
      expect(await waitForStatus(app.queue, job.id, 'completed')).toMatchObject({ output: { v: 4 } });
    });

    it('returns a holder that already started unchanged', async () => {
      const job = await app.queue.enqueue('held', { gate: 'r-running', v: 1 }, { idempotencyKey: 'r-running' });
      await waitForStatus(app.queue, job.id, 'processing');
      const answer = await app.queue.enqueue('held', { gate: 'r-running', v: 2 }, { idempotencyKey: 'r-running', onDuplicate: 'replace' });
      expect(answer).toMatchObject({ id: job.id, status: 'processing', payload: { v: 1 } });
      gates.open('r-running');
      expect(await waitForStatus(app.queue, job.id, 'completed')).toMatchObject({ output: 1 });
    });

    it('checks the replacement as an enqueue, and refuses one that would move the job to other concurrency keys', async () => {
      const job = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'r-checked', ...later });
      await expect(
        app.queue.enqueue('versioned', { v: 'two' }, { idempotencyKey: 'r-checked', onDuplicate: 'replace' }),
      ).rejects.toBeInstanceOf(JobPayloadInvalidError);
      const keyed = await app.queue.enqueue('per-account', { account: 'a' }, { idempotencyKey: 'r-keys', ...later });
      await expect(
        app.queue.enqueue('per-account', { account: 'b' }, { idempotencyKey: 'r-keys', onDuplicate: 'replace' }),
      ).rejects.toMatchObject({ constructor: JobOptionsInvalidError, field: 'payload' });
      expect(await app.queue.getJob(job.id)).toMatchObject({ payload: { v: 1 } });
      expect(await app.queue.getJob(keyed.id)).toMatchObject({ payload: { account: 'a' }, concurrencyKeys: keyed.concurrencyKeys });
    });

    it('in one enqueueMany, jobs sharing a key are one job, which the last replacing one speaks for', async () => {
      const jobs = await app.queue.enqueueMany([
        { jobType: 'versioned', payload: { v: 1 }, options: { idempotencyKey: 'r-many', ...later } },
        { jobType: 'versioned', payload: { v: 2 }, options: { idempotencyKey: 'r-many', onDuplicate: 'replace', ...later } },
        { jobType: 'versioned', payload: { v: 3 }, options: { idempotencyKey: 'r-many', ...later } },
        { jobType: 'versioned', payload: { v: 4 } },
      ]);
      expect(new Set(jobs.slice(0, 3).map((job) => job.id)).size).toBe(1);
      expect(jobs[0]).toMatchObject({ payload: { v: 2 } });
      expect(jobs[3]).toMatchObject({ payload: { v: 4 }, idempotencyKey: null });
      expect(await jobsWithKey('r-many')).toEqual([expect.objectContaining({ id: jobs[0].id, payload: { v: 2 } })]);
    });
  });

  describe('debounceMs', () => {
    it('each enqueue while the job is pending moves its start to now + debounceMs and takes the newest payload', async () => {
      const first = await app.queue.enqueue('versioned', { v: 1 }, { idempotencyKey: 'd-move', debounceMs: HOUR });
      const before = await databaseNow();
      const second = await app.queue.enqueue('versioned', { v: 2 }, { idempotencyKey: 'd-move', debounceMs: HOUR });
      expect(second).toMatchObject({ id: first.id, payload: { v: 2 } });
      expect(second.runAt.getTime()).toBeGreaterThanOrEqual(before.getTime() + HOUR);
      expect(second.runAt.getTime()).toBeGreaterThan(first.runAt.getTime());
    });

    it('a burst of enqueues runs the job once, after the last one, with the last payload', async () => {
      let job: JobRecord | undefined;
      for (let v = 1; v <= 5; v++) job = await app.queue.enqueue('versioned', { v }, { idempotencyKey: 'd-burst', debounceMs: 300 });
      expect(await waitForStatus(app.queue, job!.id, 'completed')).toMatchObject({ output: { v: 5 }, attempts: 1 });
      expect(await jobsWithKey('d-burst')).toHaveLength(1);
    });
  });

  it('refuses options that make no sense, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ idempotencyWindow: 1000 }, 'idempotencyWindow'],
      [{ idempotencyKey: 'k', idempotencyWindow: 0 }, 'idempotencyWindow'],
      [{ idempotencyKey: 'k', idempotencyWindow: 1.5 }, 'idempotencyWindow'],
      [{ idempotencyKey: 'k', idempotencyWindow: 'finished' }, 'idempotencyWindow'],
      [{ onDuplicate: 'replace' }, 'onDuplicate'],
      [{ idempotencyKey: 'k', onDuplicate: 'update' }, 'onDuplicate'],
      [{ debounceMs: 100 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: -1 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 100, delayMs: 5 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 100, runAt: new Date().toISOString() }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 100, onDuplicate: 'keep' }, 'debounceMs'],
    ];
    for (const [options, field] of cases) {
      const refused = await app.queue.enqueue('versioned', { v: 1 }, options as EnqueueOptions).catch((error: unknown) => error);
      expect({ options, refused }).toEqual({ options, refused: expect.objectContaining({ constructor: JobOptionsInvalidError, field }) });
    }
    expect(await jobsWithKey('k')).toEqual([]);
  });

  describe('races', () => {
    it('concurrent enqueues of a key whose window has passed, on 20 connections and two apps, make exactly one new job, which all get', async () => {
      const options = { idempotencyKey: 'race-window', idempotencyWindow: 'unfinished', ...later } as const;
      const old = await app.queue.enqueue('versioned', { v: 0 }, options);
      await app.queue.cancelJob(old.id);
      const connections = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const connection = new pg.Client({ connectionString: databaseUrl() });
          await connection.connect();
          return connection;
        }),
      );
      try {
        /** One enqueue in the connection's own transaction, so that each is a separate racer. */
        const inTransaction = async (connection: pg.Client, v: number) => {
          await connection.query('BEGIN');
          const job = await app.queue.enqueue('versioned', { v }, { ...options, client: connection });
          await connection.query('COMMIT');
          return job;
        };
        const answers = await Promise.all([
          ...connections.map((connection, i) => inTransaction(connection, i)),
          ...Array.from({ length: 40 }, (_, i) => (i % 2 ? app : peer).queue.enqueue('versioned', { v: 100 + i }, options)),
        ]);
        const ids = new Set(answers.map((job) => job.id));
        expect(ids.size).toBe(1);
        expect(ids.has(old.id)).toBe(false);
        expect(await jobsWithKey('race-window')).toEqual([expect.objectContaining({ id: [...ids][0] })]);
      } finally {
        await Promise.all(connections.map((connection) => connection.end()));
      }
    });

    it('60 concurrent debounced enqueues from two apps leave one job, with the payload and start of one of them', async () => {
      const before = await databaseNow();
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? app : peer).queue.enqueue('versioned', { v: i }, { idempotencyKey: 'race-debounce', debounceMs: HOUR }),
        ),
      );
      expect(new Set(answers.map((job) => job.id)).size).toBe(1);
      const [job] = await jobsWithKey('race-debounce');
      expect(await jobsWithKey('race-debounce')).toHaveLength(1);
      expect(answers.map((answer) => answer.payload)).toContainEqual(job.payload);
      // Every enqueue moved the start (to its transaction's now + debounceMs); the job keeps the last one's.
      expect(answers.map((answer) => answer.runAt.getTime())).toContain(job.runAt.getTime());
      expect(job.runAt.getTime()).toBeGreaterThanOrEqual(before.getTime() + HOUR);
    });

    it('three processes enqueuing through the SQL function and two apps settle each expired key on one new job', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `race-proc-${i}`);
      const held = await app.queue.enqueueMany(
        keys.map((key) => ({
          jobType: 'versioned',
          payload: { v: -1 },
          options: { idempotencyKey: key, idempotencyWindow: 'unfinished', ...later },
        })),
      );
      const processes = Array.from({ length: 3 }, (_, p) => sqlEnqueuer(app.schema, keys, p));
      await Promise.all(processes.map((process) => process.ready));
      await Promise.all(held.map((job) => app.queue.cancelJob(job.id)));
      processes.forEach((process) => process.go());
      const viaApps = Promise.all(
        [app, peer].map((side, s) =>
          Promise.all(
            keys.map((key) =>
              side.queue.enqueue(
                'versioned',
                { v: 100 + s },
                { idempotencyKey: key, idempotencyWindow: 'unfinished', onDuplicate: 'replace', ...later },
              ),
            ),
          ),
        ),
      );
      const [fromProcesses, fromApps] = await Promise.all([Promise.all(processes.map((process) => process.ids)), viaApps]);
      for (const [k, key] of keys.entries()) {
        const holders = await jobsWithKey(key);
        expect(holders).toHaveLength(1);
        const answers = [...fromProcesses.map((ids) => ids[key]), ...fromApps.map((jobs) => jobs[k].id)];
        expect({ key, answers: new Set(answers) }).toEqual({ key, answers: new Set([holders[0].id]) });
        expect(holders[0].id).not.toBe(held[k].id);
        // The last replacement wins: one of the enqueuers' payloads, not a mix.
        expect([{ v: 0 }, { v: 1 }, { v: 2 }, { v: 100 }, { v: 101 }]).toContainEqual(holders[0].payload);
      }
    });
  });
});

interface SqlEnqueuer {
  ready: Promise<void>;
  go(): void;
  /** key → the job id the SQL function returned. */
  ids: Promise<Record<string, string>>;
}

/**
 * A child process that enqueues every key through `<schema>.enqueue` on four connections at
 * once (payload { v: p }, onDuplicate replace, window 'unfinished'), once the test says go.
 */
function sqlEnqueuer(schema: string, keys: string[], p: number): SqlEnqueuer {
  const script = `
import pg from 'pg';
const { DQ_URL, DQ_SCHEMA, DQ_KEYS, DQ_P } = process.env;
const keys = JSON.parse(DQ_KEYS);
const clients = await Promise.all([0, 1, 2, 3].map(async () => { const c = new pg.Client({ connectionString: DQ_URL }); await c.connect(); return c; }));
console.log('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
const options = JSON.stringify({ idempotencyKey: '', idempotencyWindow: 'unfinished', onDuplicate: 'replace', delayMs: 3600000 });
const ids = {};
await Promise.all(clients.map(async (c, i) => {
  for (const key of keys.filter((_, k) => k % 4 === i)) {
    const { rows } = await c.query('SELECT "' + DQ_SCHEMA + '".enqueue($1, $2::jsonb, $3::jsonb) AS id',
      ['versioned', JSON.stringify({ v: Number(DQ_P) }), JSON.stringify({ ...JSON.parse(options), idempotencyKey: key })]);
    ids[key] = rows[0].id;
  }
}));
console.log(JSON.stringify(ids));
await Promise.all(clients.map((c) => c.end()));
process.stdin.destroy();
`;
  const { NODE_OPTIONS: _jestNodeOptions, ...env } = process.env;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...env, DQ_URL: databaseUrl(), DQ_SCHEMA: schema, DQ_KEYS: JSON.stringify(keys), DQ_P: String(p) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = new Promise<string[]>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout.trim().split('\n')) : reject(new Error(`SQL enqueuer ${p} exited ${code}:\n${stderr}`)),
    );
  });
  const ready = waitFor(`SQL enqueuer ${p} to connect`, () => stdout.startsWith('ready\n') || child.exitCode !== null).then(() => {
    if (child.exitCode !== null) throw new Error(`SQL enqueuer ${p} exited ${child.exitCode}:\n${stderr}`);
  });
  return {
    ready,
    go: () => child.stdin.write('go\n'),
    ids: lines.then((output) => JSON.parse(output.at(-1)!) as Record<string, string>),
  };
}
