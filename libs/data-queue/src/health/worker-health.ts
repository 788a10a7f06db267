import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { QueueDatabase } from '../store/queue-database.js';
import { WorkerRuntime } from '../worker/worker-runtime.js';

export interface WorkerHealth {
  healthy: boolean;
  database: 'up' | 'down';
  /** The LISTEN connection (async mode); polling still works without it, only slower. */
  listening: boolean;
  /** Age of the last heartbeat; stale means other processes will soon reap this one's jobs. */
  heartbeatAgeMs: number | null;
}

/**
 * Database reachable, LISTEN connection alive (unless `listen: false`), heartbeat fresh: what an
 * orchestrator should probe. The one source of the standalone worker's probe and the terminus indicator.
 */
@Injectable()
export class WorkerHealthCheck {
  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly database: QueueDatabase,
    private readonly runtime: WorkerRuntime,
  ) {}

  /** `heartbeatMaxAgeMs` defaults to three heartbeat periods: unhealthy well before other processes reap this one. */
  async check(heartbeatMaxAgeMs = 3 * this.options.heartbeatIntervalMs): Promise<WorkerHealth> {
    const database = await this.database.store.db.rows('SELECT 1').then(
      () => 'up' as const,
      () => 'down' as const,
    );
    const { mode, listening, lastHeartbeatAt } = this.runtime.health();
    const heartbeatAgeMs = lastHeartbeatAt ? Date.now() - lastHeartbeatAt.getTime() : null;
    const heartbeatFresh = heartbeatAgeMs !== null && heartbeatAgeMs <= heartbeatMaxAgeMs;
    const working = mode !== 'async' || ((listening || !this.options.listen) && heartbeatFresh);
    return { healthy: database === 'up' && working, database, listening, heartbeatAgeMs };
  }
}
