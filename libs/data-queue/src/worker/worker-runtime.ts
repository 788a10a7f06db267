import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { BatchReconciler } from '../batches/batch-reconciler.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { LocalWake } from '../queue/local-wake.js';
import { RetentionCleaner } from '../scheduling/retention/retention-cleaner.js';
import type { WorkerInfo } from '../store/worker-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { createWorkerInfo } from '../store/worker-identity.js';
import { CrashReaper } from './crash-reaper.js';
import { JobExecutor } from './job-executor.js';
import { NotificationListener } from './notification-listener.js';
import { parseQueuePools } from './queue-pools.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Owns this process's worker: its registration and heartbeat, the LISTEN connection, the pools,
 * the poll timer, the crash reaper, the batch reconciler and retention. Starts once the app has booted; on shutdown stops
 * claiming, lets running jobs finish for `shutdownTimeoutMs`, then hands the rest back.
 */
@Injectable()
export class WorkerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  readonly worker: WorkerInfo;
  private pools: WorkerPool[] = [];
  private listener: NotificationListener | null = null;
  private timers: NodeJS.Timeout[] = [];
  private registered = false;
  private lastHeartbeatAt: Date | null = null;
  private checkingRuns = false;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly database: QueueDatabase,
    private readonly executor: JobExecutor,
    private readonly reaper: CrashReaper,
    private readonly reconciler: BatchReconciler,
    private readonly retention: RetentionCleaner,
    private readonly localWake: LocalWake,
  ) {
    this.worker = createWorkerInfo(options.mode === 'async' ? options.queues : 'inline');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.mode === 'external') return;
    // Registered before the first claim, so a reaper never mistakes our jobs for orphans.
    await this.heartbeat();
    this.registered = true;
    this.every(this.options.heartbeatIntervalMs, () => this.heartbeat());
    if (this.options.mode === 'inline') return;

    const store = this.database.store;
    this.pools = parseQueuePools(this.options.queues).map((pool) => new WorkerPool(pool, this.worker.id, store.attempts, this.executor));
    this.localWake.attach((queues) => this.wakePoolsFor(queues));
    if (this.options.listen) {
      this.listener = new NotificationListener(
        this.database.connectionConfig,
        store.channels,
        {
          onWake: (queues) => this.wakePoolsFor(queues),
          onCancel: (jobId) => {
            this.pools.forEach((pool) => pool.forget(jobId));
            this.executor.abortCancelled(jobId);
          },
          onReconnect: () => {
            this.wakeAll();
            this.abortLostRuns().catch((error) => this.logger.warn(`checking running jobs after a reconnect failed: ${String(error)}`));
          },
        },
        `dataqueue-listener:${this.options.schema}`,
      );
      await this.listener.start();
    }
    this.every(this.options.pollIntervalMs, async () => {
      this.wakeAll();
      await this.abortLostRuns();
    });
    this.every(this.options.heartbeatIntervalMs, () => this.reaper.reap(this.options.workerTimeoutMs));
    const reconcileMs = this.options.batchReconcileIntervalMs;
    this.every(reconcileMs, () => this.reconciler.reconcile(reconcileMs));
    if (this.options.retention.enabled) this.every(this.options.retention.intervalMs, () => this.retention.clean());
    this.wakeAll();
    this.logger.log(`worker ${this.worker.id} started: ${this.options.queues}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.localWake.detach();
    this.timers.forEach(clearInterval);
    this.timers = [];
    const stopped = Promise.all(this.pools.map((pool) => pool.stop()));
    if (this.executor.runningCount > 0) {
      this.logger.log(`waiting up to ${this.options.shutdownTimeoutMs} ms for ${this.executor.runningCount} running job(s)`);
      await Promise.all(this.pools.map((pool) => pool.drain(this.options.shutdownTimeoutMs)));
    }
    this.executor.abortAll();
    await stopped;
    await this.listener?.stop();
    if (this.registered) await this.database.store.workers.unregister(this.worker.id).catch(() => undefined);
  }

  /** What a health probe reports for this process's worker. */
  health(): { mode: string; listening: boolean; lastHeartbeatAt: Date | null } {
    return { mode: this.options.mode, listening: this.listener?.connected ?? false, lastHeartbeatAt: this.lastHeartbeatAt };
  }

  private wakeAll(): void {
    this.pools.forEach((pool) => pool.wake());
  }

  /** '*' (after a resume) may concern any queue. */
  private wakePoolsFor(queues: string[]): void {
    this.pools.filter((pool) => queues.some((queue) => queue === '*' || pool.serves(queue))).forEach((pool) => pool.wake());
  }

  /**
   * A cancel reaches the process running the job by NOTIFY, which does not arrive with
   * `listen: false` or while the LISTEN connection is down; and a worker presumed dead may still
   * be running jobs the reaper returned. So each poll asks which running attempts their job no
   * longer holds, and aborts those: one query, only while jobs run, never two at once.
   */
  private async abortLostRuns(): Promise<void> {
    if (this.executor.runningCount === 0 || this.checkingRuns) return;
    this.checkingRuns = true;
    try {
      await this.executor.abortLost((runs) => this.database.store.attempts.lostRuns(this.worker.id, runs));
    } finally {
      this.checkingRuns = false;
    }
  }

  private async heartbeat(): Promise<void> {
    await this.database.store.workers.heartbeat(this.worker);
    this.lastHeartbeatAt = new Date();
  }

  /** A periodic task whose failures (database briefly away) are logged, not thrown. */
  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error) => this.logger.warn(`periodic task failed: ${String(error)}`));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
