import type { JobRecord } from '../core/job-record.js';
import { bucketOf, type JobStatus } from '../core/job-states.js';
import type { JobMove, JobMoves } from './job-moves.js';
import { toJobRecord, type JobRow } from './job-row.js';
import {
  holdRetriedSql,
  lockDependentsSql,
  prerequisitesDiscardedSql,
  prerequisitesSucceededSql,
  reopenSql,
} from './sql/dependencies.sql.js';
import type { SqlExecutor } from './sql/executor.js';

export function dependencyStatements(s: string) {
  return {
    lockDependents: lockDependentsSql(s),
    succeeded: prerequisitesSucceededSql(s),
    discarded: prerequisitesDiscardedSql(s),
    reopen: reopenSql(s),
    holdRetried: holdRetriedSql(s),
  };
}

/** How a prerequisite was discarded, as the error entry of a dependent failed by it says. */
export type DiscardOutcome = 'failed' | 'was cancelled' | 'was deleted';

type ChangedRow = JobRow & { previous_status: JobStatus; previous_next_attempt_at: Date | null };

/**
 * Settles the dependents of jobs that moved (see dependencies.sql.ts): releases, cancels, fails
 * or holds them again. Each change to a dependent is itself a move, announced in the same
 * transaction, so batches count it and the next level of dependents follows.
 */
export class DependencyStore {
  constructor(
    private readonly sql: ReturnType<typeof dependencyStatements>,
    private readonly moves: JobMoves,
    private readonly wakeChannel: string,
  ) {}

  /** Prerequisites `ids` succeeded: their dependents' locks are taken by the statement itself (see releaseDependents). */
  async prerequisitesSucceeded(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.moves.run(async (db) => ({ result: undefined, moves: await this.changed(db, this.sql.succeeded, [ids, this.wakeChannel]) }));
  }

  /** Prerequisites were discarded or deleted before succeeding; returns the dependents' moves. */
  prerequisitesDiscarded(prerequisites: { id: string; outcome: DiscardOutcome }[]): Promise<JobMove[]> {
    const [ids, outcomes] = [prerequisites.map((p) => p.id), prerequisites.map((p) => p.outcome)];
    return this.settle(ids, 'pending', this.sql.discarded, [outcomes]);
  }

  /** Discarded prerequisites `ids` run again; returns the dependents' moves. */
  prerequisitesReopened(ids: string[]): Promise<JobMove[]> {
    return this.settle(ids, 'discarded', this.sql.reopen, []);
  }

  /** Dependents `ids` were retried: those with dependencies left are held again. */
  async dependentsRetried(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.moves.run(async (db) => ({
      result: undefined,
      moves: await this.changed(db, this.sql.holdRetried, [ids, this.wakeChannel]),
    }));
  }

  private async settle(ids: string[], edgeState: 'pending' | 'discarded', sql: string, extra: unknown[]): Promise<JobMove[]> {
    if (ids.length === 0) return [];
    return this.moves.run(async (db) => {
      await db.rows(this.sql.lockDependents, [ids, edgeState]);
      const moves = await this.changed(db, sql, [ids, this.wakeChannel, ...extra]);
      return { result: moves, moves };
    });
  }

  /** Runs a statement that changes dependents; their moves, each from its previous bucket. */
  private async changed(db: SqlExecutor, sql: string, params: unknown[]): Promise<JobMove[]> {
    const rows = await db.rows<ChangedRow>(sql, params);
    return rows.map((row) => {
      const job: JobRecord = toJobRecord(row);
      return { job, from: bucketOf({ status: row.previous_status, nextAttemptAt: row.previous_next_attempt_at }), to: bucketOf(job) };
    });
  }
}
