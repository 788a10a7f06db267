import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../../core/data-queue.constants.js';
import { QueueDatabase } from '../../store/queue-database.js';
import type { RetentionStore } from '../../store/retention-store.js';
import { MaintenanceScheduler } from '../../core/maintenance-scheduler.js';

/** A pass never runs away: at most this many batches of deletes per statement kind. */
const MAX_ROUNDS = 100;

/**
 * Deletes finished jobs (and finished batches with their jobs) once they are older than the
 * configured ages, in small batches, in one process at a time. Job history rows go with their
 * jobs. Unfinished batches, and batches whose callbacks have not finished, are never touched.
 * Runs every `retention.intervalMs` (unless `retention: false`) as a maintenance task of processes
 * that run workers.
 */
@Injectable()
export class RetentionCleaner implements OnModuleInit {
  /** The three deletes, in order: each returns how many rows it deleted (at most `limit`). */
  private readonly deletes: ((retention: RetentionStore, limit: number) => Promise<number>)[];

  constructor(
    private readonly database: QueueDatabase,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly maintenance: MaintenanceScheduler,
  ) {
    const { completedAfterMs, failedAfterMs, cancelledAfterMs } = options.retention;
    this.deletes = [
      (retention, limit) => retention.deleteExpiredJobs(limit, { completedAfterMs, failedAfterMs, cancelledAfterMs }),
      (retention, limit) => retention.deleteExpiredBatchJobs(limit, completedAfterMs),
      (retention, limit) => retention.deleteEmptyExpiredBatches(limit, completedAfterMs),
    ];
  }

  onModuleInit(): void {
    const { enabled, intervalMs } = this.options.retention;
    this.maintenance.register({ name: 'retention', intervalMs: enabled ? intervalMs : null, run: (stopping) => this.clean(stopping) });
  }

  /** One pass; returns how many rows (jobs and batches) it deleted. It ends early once `stopping` aborts. */
  async clean(stopping?: AbortSignal): Promise<number> {
    const limit = this.options.retention.batchSize;
    let deleted = 0;
    for (const remove of this.deletes) {
      for (let round = 0; round < MAX_ROUNDS && !stopping?.aborted; round++) {
        const count = await this.database.store.transaction(async (tx) =>
          (await tx.retention.tryLock()) ? remove(tx.retention, limit) : -1,
        );
        if (count < 0) return deleted; // another process is cleaning right now
        deleted += count;
        if (count < limit) break;
      }
    }
    return deleted;
  }
}
