export { isFinal, waitForJob } from './wait-for-job.js';
export type { WaitForJobOptions } from './wait-for-job.js';
