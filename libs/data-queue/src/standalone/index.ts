export { runWorker } from './run-worker.js';
export { parseWorkerSettings } from './worker-options.js';
export type { StandaloneWorkerSettings } from './worker-options.js';
export { WorkerHealthCheck } from '../health/worker-health.js';
export type { WorkerHealth } from '../health/worker-health.js';
