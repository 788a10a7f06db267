import type { JobRecord } from '../core/job-record.js';
import { FAILED_FOR_GOOD } from '../core/job-states.js';
import { movesOf, type JobMoves } from './job-moves.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import { reapJobsSql } from './sql/reap-jobs.sql.js';
import { heartbeatSql, unregisterWorkerSql } from './sql/workers.sql.js';

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  queues: string;
}

export function workerStatements(s: string) {
  return { heartbeat: heartbeatSql(s), unregister: unregisterWorkerSql(s), reap: reapJobsSql(s) };
}

/** Worker processes: their registration and heartbeat, and the jobs of those that stopped heartbeating. */
export class WorkerStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof workerStatements>,
    private readonly moves: JobMoves,
  ) {}

  async heartbeat(worker: WorkerInfo): Promise<void> {
    await this.db.rows(this.sql.heartbeat, [worker.id, worker.hostname, worker.pid, worker.queues]);
  }

  async unregister(workerId: string): Promise<void> {
    await this.db.rows(this.sql.unregister, [workerId]);
  }

  /**
   * Returns jobs of dead workers (see reap-jobs.sql.ts); the final failures among them reach
   * the transition listeners (dead letter, batch) in the same transaction.
   */
  async reap(workerTimeoutMs: number): Promise<JobRecord[]> {
    return this.moves.run(async (db) => {
      const jobs = (await db.rows<JobRow>(this.sql.reap, [workerTimeoutMs])).map((row) => toJobRecord(row));
      return {
        result: jobs,
        moves: movesOf(
          jobs.filter((job) => FAILED_FOR_GOOD.matches(job)),
          'pending',
          'discarded',
        ),
      };
    });
  }
}
