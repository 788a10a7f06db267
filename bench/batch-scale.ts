/**
 * Batch bookkeeping is O(1) per job: finishing the last 1,000 jobs of a 100,000-job batch costs
 * no more than finishing the first 1,000. Prints both rates (and the whole drain) for one run.
 *
 *   npm run bench:batch-scale            # embedded Postgres, 100,000 jobs
 *   JOBS=20000 npm run bench:batch-scale # smaller
 */
import 'reflect-metadata';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataQueueModule, JobHandler, OnBatchFinish, QueueService, type BatchRecord } from '@dataqueue/nestjs';
import { startEmbeddedPostgres } from '@dataqueue/nestjs/embedded';

const JOBS = Number(process.env.JOBS ?? 100_000);
const WINDOW = 1000;
const CHUNK = 10_000;

@JobHandler('noop')
class NoopHandler {
  handle(): void {}
}

@Injectable()
class Done {
  @OnBatchFinish('bench') finished(): void {}
}

function appModule(mode: 'external' | 'async'): DynamicModule {
  @Module({})
  class BenchModule {}
  return {
    module: BenchModule,
    imports: [DataQueueModule.forRoot({ schema: 'bench_batch', mode, queues: process.env.QUEUES ?? '*:10', pollIntervalMs: 50 })],
    providers: [NoopHandler, Done],
  };
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres();
  if (embedded) process.env.DATABASE_URL = embedded.url;

  const producer = await NestFactory.createApplicationContext(appModule('external'), { logger: ['error', 'warn'] });
  const queue = producer.get(QueueService);
  const batch = await queue.createBatch({ description: 'scale bench', onFinish: 'bench' });
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ jobType: 'noop', payload: { i } }));
  for (let i = 0; i < JOBS; i += CHUNK) await batch.add(jobs.slice(i, i + CHUNK));
  await batch.enqueue();
  console.log(`batch ${batch.id}: ${JOBS} jobs enqueued`);

  const worker = await NestFactory.createApplicationContext(appModule('async'), { logger: ['error', 'warn'] });
  const started = performance.now();
  const marks = new Map<string, number>();
  let record: BatchRecord | null = null;
  while (!record?.finishedAt) {
    record = await queue.getBatch(batch.id);
    const done = record!.counts.succeeded;
    if (done >= WINDOW && !marks.has('first')) marks.set('first', performance.now());
    if (record!.counts.pending <= WINDOW && !marks.has('lastStart')) marks.set('lastStart', performance.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const finished = performance.now();
  const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
  console.log(`first ${WINDOW} jobs: ${rate(WINDOW, marks.get('first')! - started)} jobs/s`);
  console.log(`last ${WINDOW} jobs:  ${rate(WINDOW, finished - marks.get('lastStart')!)} jobs/s (incl. the finish callback)`);
  console.log(`all ${JOBS} jobs:   ${rate(JOBS, finished - started)} jobs/s; counts ${JSON.stringify(record.counts)}`);

  await worker.close();
  await producer.close();
  await embedded?.stop();
}

await main();
