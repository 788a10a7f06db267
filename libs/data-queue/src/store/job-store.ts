import type { JobExecutionRecord, JobErrorEntry, JobRecord } from '../core/job-record.js';
import { bucketOf } from '../core/job-states.js';
import { movesOf, type JobMoves } from './job-moves.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { Notifier } from './notifier.js';
import type { SqlExecutor } from './sql/executor.js';
import { listJobsSql, type JobListQuery } from './sql/list-jobs.sql.js';
import {
  cancelJobSql,
  completeTokenSql,
  deleteJobSql,
  getJobSql,
  jobExecutionsSql,
  markDeadLetteredSql,
  updateJobSql,
  retryJobSql,
} from './sql/manage-jobs.sql.js';

interface ExecutionRow {
  id: string;
  job_id: string;
  attempt: number;
  worker: string | null;
  started_at: Date | null;
  finished_at: Date;
  duration_ms: number | null;
  outcome: JobExecutionRecord['outcome'];
  error: JobErrorEntry | null;
}

export function jobStatements(s: string) {
  return {
    get: getJobSql(s),
    executions: jobExecutionsSql(s),
    list: (query: JobListQuery) => listJobsSql(s, query),
    cancel: cancelJobSql(s),
    retry: retryJobSql(s),
    update: updateJobSql(s),
    delete: deleteJobSql(s),
    completeToken: completeTokenSql(s),
    markDeadLettered: markDeadLetteredSql(s),
    analyze: `ANALYZE ${s}.jobs (status, queue, priority, available_at)`,
  };
}

/** What `update` changes of a job; a field left out stays. */
export interface JobChange {
  payloadJson?: string;
  priority?: number;
  runAt?: Date;
}

/** Jobs by id: reading them and the actions people take on them (cancel, retry, update, delete, resume a wait). */
export class JobStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof jobStatements>,
    private readonly moves: JobMoves,
    private readonly notifier: Notifier,
  ) {}

  async get(jobId: string): Promise<JobRecord | null> {
    return firstJob(this.db, this.sql.get, [jobId]);
  }

  async executions(jobId: string): Promise<JobExecutionRecord[]> {
    const rows = await this.db.rows<ExecutionRow>(this.sql.executions, [jobId]);
    return rows.map((row) => ({
      id: row.id,
      jobId: row.job_id,
      attempt: row.attempt,
      worker: row.worker,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      durationMs: row.duration_ms === null ? null : Math.round(row.duration_ms),
      outcome: row.outcome,
      error: row.error,
    }));
  }

  async list(query: JobListQuery): Promise<JobRecord[]> {
    const { sql, params } = this.sql.list(query);
    const rows = await this.db.rows<JobRow>(sql, params);
    return rows.map((row) => toJobRecord(row));
  }

  /** The cancelled job, or null if it does not exist or cannot be cancelled. */
  async cancel(jobId: string): Promise<JobRecord | null> {
    return this.moves.run(async (db, notifier) => {
      const job = await firstJob(db, this.sql.cancel, [jobId]);
      if (job) await notifier.announceCancelled([job.id]);
      return { result: job, moves: job ? movesOf([job], 'pending', 'discarded') : [] };
    });
  }

  /**
   * The job with a fresh attempt budget, or null if it does not exist or is neither failed nor
   * cancelled. A dependent with dependencies left is held again (`blocked`) by the transition
   * listeners in the same transaction; it is read again then, to return what was committed.
   */
  async retry(jobId: string): Promise<JobRecord | null> {
    const job = await this.moves.run(async (db, notifier) => {
      const [row] = await db.rows<JobRow & { was_discarded: boolean }>(this.sql.retry, [jobId]);
      if (!row) return { result: null, moves: [] };
      const job = toJobRecord(row);
      await notifier.wake([job.queue]);
      return { result: job, moves: movesOf([job], row.was_discarded ? 'discarded' : 'pending', 'pending') };
    });
    return job?.dependenciesLeft ? this.get(job.id) : job;
  }

  /** The changed job, or null if it does not exist or is neither pending nor retrying (see updateJobSql). */
  async update(jobId: string, change: JobChange): Promise<JobRecord | null> {
    const { payloadJson = null, priority = null, runAt = null } = change;
    const job = await firstJob(this.db, this.sql.update, [jobId, payloadJson, priority, runAt]);
    if (job && runAt) await this.notifier.wake([job.queue]);
    return job;
  }

  /** The deleted job, or null if there was none (or it is running). */
  async delete(jobId: string): Promise<JobRecord | null> {
    return this.moves.run(async (db) => {
      const job = await firstJob(db, this.sql.delete, [jobId]);
      return { result: job, moves: job ? [{ job, from: bucketOf(job), to: null }] : [] };
    });
  }

  /** Resumes the jobs waiting for `token`; returns how many there were. */
  async completeToken(token: string, dataJson: string): Promise<number> {
    const [row] = await this.db.rows<{ resumed: number }>(this.sql.completeToken, [token, dataJson, this.notifier.channels.wake]);
    return row?.resumed ?? 0;
  }

  async markDeadLettered(jobId: string, deadLetterJobId: string): Promise<void> {
    await this.db.rows(this.sql.markDeadLettered, [jobId, deadLetterJobId]);
  }

  /** Refreshes the planner's statistics of the columns the claim filters on (see PlannerStatistics). */
  async analyze(): Promise<void> {
    await this.db.rows(this.sql.analyze);
  }
}

async function firstJob(db: SqlExecutor, sql: string, params: unknown[]): Promise<JobRecord | null> {
  const [row] = await db.rows<JobRow>(sql, params);
  return row ? toJobRecord(row) : null;
}
