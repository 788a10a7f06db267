import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { QueueEventPublisher } from '../events/queue-event-publisher.js';
import { LocalWake } from '../queue/local-wake.js';
import { NotificationListener } from '../store/notification-listener.js';
import type { WorkerInfo } from '../store/worker-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { createWorkerInfo } from '../store/worker-identity.js';
import { CrashReaper } from './crash-reaper.js';
import { JobExecutor } from './job-executor.js';
import { MaintenanceScheduler } from '../core/maintenance-scheduler.js';
import { parseQueuePools } from './queue-pools.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Owns this process's worker: its registration and heartbeat, the LISTEN connection, the pools,
 * the poll and the crash reaper; it runs its periodic tasks, and those the features register (batch
 * reconciler, retention), on `MaintenanceScheduler`. Starts once the app has booted; on shutdown
 * stops claiming, lets running jobs finish for `shutdownTimeoutMs`, then hands the rest back.
 */
@Injectable()
export class WorkerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  readonly worker: WorkerInfo;
  private pools: WorkerPool[] = [];
  private listener: NotificationListener | null = null;
  private registered = false;
  private lastHeartbeatAt: Date | null = null;
  private checkingRuns = false;
  private cronChanged: (() => void) | null = null;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly database: QueueDatabase,
    private readonly executor: JobExecutor,
    private readonly reaper: CrashReaper,
    private readonly maintenance: MaintenanceScheduler,
    private readonly localWake: LocalWake,
    private readonly eventPublisher: QueueEventPublisher,
  ) {
    this.worker = createWorkerInfo(options.mode === 'async' ? options.queues : 'inline');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.mode === 'external') return;
    // Registered before the first claim, so a reaper never mistakes our jobs for orphans.
    await this.heartbeat();
    this.registered = true;
    this.maintenance.schedule({ name: 'heartbeat', intervalMs: this.options.heartbeatIntervalMs, run: () => this.heartbeat() });
    if (this.options.mode === 'inline') return;

    const store = this.database.store;
    this.pools = parseQueuePools(this.options.queues).map((pool) => new WorkerPool(pool, this.worker.id, store.attempts, this.executor));
    this.localWake.attach((queues) => this.wakePoolsFor(queues));
    if (this.options.listen) {
      const { wake, cancel, cron, subscriptions } = store.channels;
      this.listener = new NotificationListener(
        this.database.connectionConfig,
        {
          channels: {
            [wake]: (queues) => this.wakePoolsFor(queues.split(',')),
            [cancel]: (jobId) => {
              this.pools.forEach((pool) => pool.forget(jobId));
              this.executor.abortCancelled(jobId);
            },
            [cron]: () => this.cronChanged?.(),
            // A new @OnQueueEvent subscriber: publish for it from now on, not from the next read.
            [subscriptions]: () => {
              this.eventPublisher.refresh().catch((error) => this.logger.warn(`reading the event subscriptions failed: ${String(error)}`));
            },
          },
          onReconnect: () => {
            this.cronChanged?.();
            this.wakeAll();
            this.abortLostRuns().catch((error) => this.logger.warn(`checking running jobs after a reconnect failed: ${String(error)}`));
          },
        },
        `dataqueue-listener:${this.options.schema}`,
      );
      await this.listener.start();
    }
    this.maintenance.schedule({
      name: 'poll',
      intervalMs: this.options.pollIntervalMs,
      run: async () => {
        this.wakeAll();
        await this.abortLostRuns();
      },
    });
    this.maintenance.schedule({
      name: 'crash-reaper',
      intervalMs: this.options.heartbeatIntervalMs,
      run: () => this.reaper.reap(this.options.workerTimeoutMs),
    });
    // The features' tasks: the batch reconciler, retention.
    this.maintenance.start();
    this.wakeAll();
    this.logger.log(`worker ${this.worker.id} started: ${this.options.queues}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.localWake.detach();
    const maintenanceStopped = this.maintenance.stop();
    const stopped = Promise.all(this.pools.map((pool) => pool.stop()));
    if (this.executor.runningCount > 0) {
      this.logger.log(`waiting up to ${this.options.shutdownTimeoutMs} ms for ${this.executor.runningCount} running job(s)`);
      await Promise.all(this.pools.map((pool) => pool.drain(this.options.shutdownTimeoutMs)));
    }
    this.executor.abortAll();
    await Promise.all([stopped, maintenanceStopped]);
    await this.listener?.stop();
    if (this.registered) await this.database.store.workers.unregister(this.worker.id).catch(() => undefined);
  }

  /** The cron scheduler's reload: called when an entry changed anywhere, or after a LISTEN reconnect (changes may have been missed). */
  whenCronChanges(reload: () => void): void {
    this.cronChanged = reload;
  }

  /** What a health probe reports for this process's worker. */
  health(): { mode: string; listening: boolean; lastHeartbeatAt: Date | null } {
    return { mode: this.options.mode, listening: this.listener?.connected ?? false, lastHeartbeatAt: this.lastHeartbeatAt };
  }

  private wakeAll(): void {
    this.pools.forEach((pool) => pool.workArrived());
  }

  /** '*' (after a resume) may concern any queue. */
  private wakePoolsFor(queues: string[]): void {
    this.pools.filter((pool) => queues.some((queue) => queue === '*' || pool.serves(queue))).forEach((pool) => pool.workArrived());
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
}
