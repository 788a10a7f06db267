import { Injectable } from '@nestjs/common';
import { QueueDatabase } from '../module/queue-database.js';
import { WorkerRuntime } from '../worker/worker-runtime.js';

export interface WorkerHealth {
  healthy: boolean;
  database: 'up' | 'down';
  /** The LISTEN connection (async mode); polling still works without it, only slower. */
  listening: boolean;
  /** Age of the last heartbeat; stale means other processes will soon reap this one's jobs. */
  heartbeatAgeMs: number | null;
}

/** Database reachable, LISTEN connection alive, heartbeat fresh: what an orchestrator should probe. */
@Injectable()
export class WorkerHealthCheck {
  constructor(
    private readonly database: QueueDatabase,
    private readonly runtime: WorkerRuntime,
  ) {}

  async check(heartbeatMaxAgeMs: number): Promise<WorkerHealth> {
    const database = await this.database.store.db.rows('SELECT 1').then(
      () => 'up' as const,
      () => 'down' as const,
    );
    const { mode, listening, lastHeartbeatAt } = this.runtime.health();
    const heartbeatAgeMs = lastHeartbeatAt ? Date.now() - lastHeartbeatAt.getTime() : null;
    const working = mode !== 'async' || (listening && heartbeatAgeMs !== null && heartbeatAgeMs <= heartbeatMaxAgeMs);
    return { healthy: database === 'up' && working, database, listening, heartbeatAgeMs };
  }
}
