// The demo's standalone worker: the same handlers as apps/demo, in a process of its own.
//   DATABASE_URL=postgres://… npm run start:worker -- --queues 'mail:2;*:5' --health-port 8081
// Flags and environment variables: see `--help` (parseWorkerSettings).
import 'reflect-metadata';
import { parseWorkerSettings, runWorker } from '@dataqueue/nestjs/standalone';
import { DemoJobsModule } from '../../demo/src/demo-jobs.module.js';

try {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL: the worker joins an existing queue (e.g. the one the demo prints)');
  await runWorker(DemoJobsModule, parseWorkerSettings(process.argv.slice(2)));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
