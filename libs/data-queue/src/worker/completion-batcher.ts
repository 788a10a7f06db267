import { Injectable } from '@nestjs/common';
import type { JobRecord } from '../core/job-record.js';
import { completionOf, type RunFence } from '../store/attempt-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { QueueStore } from '../store/queue-store.js';
import { WriteCoalescer, writeTogether } from '../store/write-coalescer.js';

/** Completions recorded by one statement at most (the arrays of one `unnest`). */
const MAX_PER_STATEMENT = 1000;

interface Waiting {
  job: JobRecord;
  fence: RunFence;
  outputJson: string | null;
  settle: (completed: boolean) => void;
  fail: (error: unknown) => void;
}

/**
 * Records successful attempts in bulk (see WriteCoalescer): one statement per worker and batch
 * for every job that finished while the previous write was in flight. Batch jobs are written
 * per batch, so their batch row is locked once per write, not once per job.
 */
@Injectable()
export class CompletionBatcher {
  private readonly coalescer = new WriteCoalescer<Waiting>(
    (taken) => Promise.all([...groupByStatement(taken).values()].map((group) => this.writeGroup(group))).then(() => undefined),
    MAX_PER_STATEMENT,
  );

  constructor(private readonly database: QueueDatabase) {}

  /**
   * Resolves true once the completion is committed, false if its fence failed (the attempt
   * was cancelled, reaped or deleted meanwhile); rejects if the write failed (retry it).
   */
  complete(job: JobRecord, fence: RunFence, outputJson: string | null): Promise<boolean> {
    return new Promise((settle, fail) => this.coalescer.add({ job, fence, outputJson, settle, fail }));
  }

  /** One completion on `store`'s connection now — a caller's transaction (inline mode) does not wait for others. */
  async completeNow(store: QueueStore, job: JobRecord, fence: RunFence, outputJson: string | null): Promise<boolean> {
    const completed = await store.attempts.complete(fence.workerId, [completionOf(job, fence, outputJson)]);
    return completed.has(fence.jobId);
  }

  /** One statement for the group; a job whose completion the database refuses fails alone. */
  private writeGroup(group: Waiting[]): Promise<void> {
    return writeTogether(group, async (together) => {
      const completions = together.map((w) => completionOf(w.job, w.fence, w.outputJson));
      const completed = await this.database.store.attempts.complete(together[0].fence.workerId, completions);
      for (const w of together) w.settle(completed.has(w.fence.jobId));
    });
  }
}

/** Jobs one statement can complete together: same worker, same batch (or none). */
function groupByStatement(waiting: Waiting[]): Map<string, Waiting[]> {
  const groups = new Map<string, Waiting[]>();
  for (const w of waiting) {
    const key = `${w.fence.workerId} ${w.job.batchId ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(w);
    else groups.set(key, [w]);
  }
  return groups;
}
