import pg from 'pg';
import type { BatchRecord, JobRecord, ListJobsFilter, QueueService } from '@dataqueue/nestjs';
import { databaseUrl } from './unique-schema.js';
import { waitFor, type WaitForOptions } from './wait-for.js';

/** Job type of the callback jobs DataQueue enqueues for batches. */
export const BATCH_CALLBACK_JOB_TYPE = 'dataqueue.batch-callback';

/** Polls `getBatch(id)` until `until(batch)` holds; returns that record. */
export function waitForBatch(
  queue: QueueService,
  id: string,
  until: (batch: BatchRecord) => boolean,
  description = `batch ${id} to reach the expected state`,
  options?: WaitForOptions,
): Promise<BatchRecord> {
  return waitFor(
    description,
    () => queue.getBatch(id),
    (batch): batch is BatchRecord => batch !== null && until(batch),
    options,
  );
}

/**
 * Polls until the batch is finished: every job and every callback job has finished, so every
 * callback that was due has run (its side effects are visible) by the time this resolves.
 */
export function waitForBatchFinished(queue: QueueService, id: string, options?: WaitForOptions): Promise<BatchRecord> {
  return waitForBatch(queue, id, (batch) => batch.finishedAt !== null, `batch ${id} to be finished (finishedAt set)`, options);
}

/** Every job matching `filter`, all pages. */
export async function allJobs(queue: QueueService, filter: Omit<ListJobsFilter, 'cursor'> = {}): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.listJobs({ limit: 1000, ...filter, cursor });
    jobs.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return jobs;
}

/** The callback jobs DataQueue enqueued for a batch, oldest first. */
export async function callbackJobsOf(queue: QueueService, batchId: string): Promise<JobRecord[]> {
  const jobs = await allJobs(queue, { jobType: BATCH_CALLBACK_JOB_TYPE });
  return jobs.filter((job) => job.batchCallbackId === batchId).sort((a, b) => Number(a.id) - Number(b.id));
}

/** The event each callback job of the batch was enqueued for, oldest first. */
export async function callbackEventsOf(queue: QueueService, batchId: string): Promise<string[]> {
  return (await callbackJobsOf(queue, batchId)).map((job) => (job.payload as { event: string }).event);
}

/**
 * Changes a batch row behind DataQueue's back (`set` is the SET clause), as a bug or a hand-made
 * SQL fix would: the one place where tests go around the API, to exercise the reconciler.
 */
export async function tamperWithBatch(schema: string, batchId: string, set: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rowCount } = await client.query(`UPDATE "${schema}".batches SET ${set} WHERE id = $1`, [batchId]);
    if (rowCount !== 1) throw new Error(`tamperWithBatch: batch ${batchId} not found in schema ${schema}`);
  } finally {
    await client.end();
  }
}
