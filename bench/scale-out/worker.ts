// One worker process of bench/scale-out.ts: the library's standalone runWorker with a no-op
// handler (and a no-op batch callback), run from TypeScript sources:
//   DATABASE_URL=… node --conditions=@dataqueue/source --import ./tools/register-ts.js \
//     bench/scale-out/worker.ts --schema bench_scale_out --concurrency 10
// Prints WORKER_READY on stdout once its pools run; SIGTERM drains and exits.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Injectable, Module } from '@nestjs/common';
import { JobHandler, OnBatchFinish } from '@dataqueue/nestjs';
import { parseWorkerSettings, runWorker } from '@dataqueue/nestjs/standalone';

export const NOOP_JOB = 'scale-out.noop';
export const BATCH_CALLBACK = 'scale-out';
export const WORKER_READY = 'scale-out-worker-ready';

@JobHandler(NOOP_JOB)
class NoopHandler {
  handle(): void {}
}

@Injectable()
class BatchFinished {
  @OnBatchFinish(BATCH_CALLBACK) finished(): void {}
}

@Module({ providers: [NoopHandler, BatchFinished] })
class ScaleOutJobsModule {}

// Only when run as the worker process (bench/scale-out.ts imports the constants above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runWorker(ScaleOutJobsModule, parseWorkerSettings(process.argv.slice(2)));
  process.stdout.write(`${WORKER_READY}\n`);
}
