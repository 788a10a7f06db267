import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { QueueDatabase } from '../store/queue-database.js';
import { MaintenanceScheduler } from '../core/maintenance-scheduler.js';
import { BatchTracker } from './batch-tracker.js';

/**
 * The safety net under batch bookkeeping: finds unfinished batches, idle for a while, whose
 * counters disagree with their jobs (a job changed by hand in SQL, a bug) or that should have
 * finished, and repairs them — firing whatever callbacks the repaired counts call for. Runs every
 * `batchReconcileIntervalMs` as a maintenance task of processes that run workers.
 */
@Injectable()
export class BatchReconciler implements OnModuleInit {
  private readonly logger = new Logger('DataQueue');

  constructor(
    private readonly database: QueueDatabase,
    private readonly tracker: BatchTracker,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly maintenance: MaintenanceScheduler,
  ) {}

  onModuleInit(): void {
    const idleMs = this.options.batchReconcileIntervalMs;
    this.maintenance.register({ name: 'batch-reconciler', intervalMs: idleMs, run: () => this.reconcile(idleMs) });
  }

  /** Returns how many batches were repaired. */
  async reconcile(idleMs: number): Promise<number> {
    const store = this.database.store;
    const drifted = await store.batches.drifted(idleMs);
    for (const batchId of drifted) {
      await store.transaction(async (tx) => {
        const counts = await tx.batches.lockedCounts(batchId);
        if (!counts) return;
        await this.tracker.apply(tx, batchId, counts.delta);
        await tx.batches.adjustCallbacks(batchId, counts.callbacks);
      });
      this.logger.warn(`batch ${batchId}: counters repaired from its jobs`);
    }
    return drifted.length;
  }
}
