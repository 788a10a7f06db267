export { drain } from './drain.js';
export type { DrainOptions, DrainResult } from './drain.js';
export { expectEnqueued, expectNotEnqueued } from './expect-enqueued.js';
export type { EnqueuedMatch } from './expect-enqueued.js';
export { runHandler } from './run-handler.js';
export type { HandlerRun, RunHandlerOptions } from './run-handler.js';
export { isFinal, waitForJob } from './wait-for-job.js';
export type { WaitForJobOptions } from './wait-for-job.js';
