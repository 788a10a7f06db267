import { Injectable } from '@nestjs/common';
import { BatchStore } from '../batches/batch-store.js';
import { completionOf, type Completion, type JobStore, type RunFence } from '../store/job-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { WriteCoalescer, writeTogether } from '../store/write-coalescer.js';

/** Completions recorded by one statement at most (the arrays of one `unnest`). */
const MAX_PER_STATEMENT = 1000;

interface Waiting {
  fence: RunFence;
  outputJson: string | null;
  batchId: string | null;
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

  constructor(
    private readonly database: QueueDatabase,
    private readonly batchStore: BatchStore,
  ) {}

  /**
   * Resolves true once the completion is committed, false if its fence failed (the attempt
   * was cancelled, reaped or deleted meanwhile); rejects if the write failed (retry it).
   */
  complete(fence: RunFence, outputJson: string | null, batchId: string | null): Promise<boolean> {
    return new Promise((settle, fail) => this.coalescer.add({ fence, outputJson, batchId, settle, fail }));
  }

  /** One completion on `store`'s connection now — a caller's transaction (inline mode) does not wait for others. */
  async completeNow(store: JobStore, fence: RunFence, outputJson: string | null, batchId: string | null): Promise<boolean> {
    const completed = await this.write(store, fence.workerId, batchId, [completionOf(fence, outputJson)]);
    return completed.has(fence.jobId);
  }

  /** One statement for the group; a job whose completion the database refuses fails alone. */
  private writeGroup(group: Waiting[]): Promise<void> {
    return writeTogether(group, async (together) => {
      const [{ fence, batchId }] = together;
      const completions = together.map((w) => completionOf(w.fence, w.outputJson));
      const completed = await this.write(this.database.store, fence.workerId, batchId, completions);
      for (const w of together) w.settle(completed.has(w.fence.jobId));
    });
  }

  private write(store: JobStore, workerId: string, batchId: string | null, completions: Completion[]): Promise<Set<string>> {
    return batchId ? this.batchStore.completeJobs(store.db, workerId, completions) : store.complete(workerId, completions);
  }
}

/** Jobs one statement can complete together: same worker, same batch (or none). */
function groupByStatement(waiting: Waiting[]): Map<string, Waiting[]> {
  const groups = new Map<string, Waiting[]>();
  for (const w of waiting) {
    const key = `${w.fence.workerId} ${w.batchId ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(w);
    else groups.set(key, [w]);
  }
  return groups;
}
