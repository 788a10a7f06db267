import { DataQueueError } from '../errors/data-queue.errors.js';
import type { JobRecord } from '../queue/job-record.js';

export class JobOutputInvalidError extends DataQueueError {}

/** JSON text of a handler's output, or null for `undefined` (keep what `setOutput` stored). */
export function serializeOutput(output: unknown, job: JobRecord): string | null {
  if (output === undefined) return null;
  try {
    return JSON.stringify(output) ?? null;
  } catch (error) {
    throw new JobOutputInvalidError(
      `job ${job.id} (${job.jobType}): output is not JSON-serializable: ${(error as Error).message}`,
    );
  }
}
