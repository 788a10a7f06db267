import { DataQueueError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import { jsonProblem } from '../queue/payload.validation.js';

export class JobOutputInvalidError extends DataQueueError {}

/**
 * JSON text of a handler's output, or null for `undefined` (keep what `setOutput` stored).
 * Output JSON would change, or Postgres could not store, fails the attempt with a clear error
 * instead of failing the statement that records it.
 */
export function serializeOutput(output: unknown, job: JobRecord): string | null {
  if (output === undefined) return null;
  const invalid = (why: string) => new JobOutputInvalidError(`job ${job.id} (${job.jobType}): output ${why}`);
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch (error) {
    throw invalid(`is not JSON-serializable: ${(error as Error).message}`);
  }
  const problem = jsonProblem(output, 'output');
  if (problem) throw invalid(`cannot be stored: ${problem.message}`);
  return json ?? null;
}
