import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { BatchRecord } from '../core/batch-record.js';
import { IdempotencyKeyConflictError } from '../core/data-queue.errors.js';
import type { JobErrorEntry, JobExecutionRecord, JobRecord } from '../core/job-record.js';
import type { JobStatus } from '../core/job-states.js';
import { batchRowFromJson, toBatchRecord } from './batch-row.js';
import { insertedJobRecord, toJobRecord, type InsertedRow, type JobRow, type NewJob } from './job-row.js';
import { claimJobByIdSql, claimJobsSql, type QueueSelector } from './sql/claim-jobs.sql.js';
import { inTransaction, managerExecutor, pgExecutor, type PgExecutorOptions, type SqlExecutor } from './sql/executor.js';
import {
  completeJobsSql,
  failJobSql,
  handBackJobSql,
  releaseJobsSql,
  saveStepsSql,
  setOutputSql,
  setProgressSql,
  startWaitSql,
} from './sql/finish-job.sql.js';
import { quoteIdent } from './sql/identifiers.js';
import { insertJobsSql, jobsByIdempotencyKeySql } from './sql/insert-jobs.sql.js';
import { listJobsSql, type JobListQuery } from './sql/list-jobs.sql.js';
import { lostRunsSql } from './sql/lost-runs.sql.js';
import {
  cancelJobSql,
  completeTokenSql,
  deleteJobSql,
  getJobSql,
  jobExecutionsSql,
  markDeadLetteredSql,
  notifySql,
  rescheduleJobSql,
  retryJobSql,
} from './sql/manage-jobs.sql.js';
import { reapJobsSql } from './sql/reap-jobs.sql.js';
import { heartbeatSql, unregisterWorkerSql } from './sql/workers.sql.js';

export interface InsertResult {
  /** One per input, in input order (an existing job where an idempotency key matched). */
  jobs: JobRecord[];
  /** The rows this insert created. */
  created: JobRecord[];
}

/** A claimed attempt: the job, its batch when it belongs to (or calls back for) one, and its durable state. */
export interface ClaimedJob {
  job: JobRecord;
  batch: BatchRecord | null;
  /** Memoized `ctx.step` results and resolved waits. */
  steps: StepResults;
  /** The wait the job resumes from, if it was waiting. */
  resumedWait: StoredWait | null;
}

type ClaimedRow = JobRow & {
  /** The job's batch (or the batch it calls back for). */
  batch_ref: string | null;
  /** That batch's row, on the first of its jobs in a claim. */
  batch_json: Record<string, unknown> | null;
  steps: StepResults;
  wait: StoredWait | null;
};

/** Claimed rows as jobs; jobs of one batch share the batch row read once. */
function toClaimedJobs(rows: ClaimedRow[]): ClaimedJob[] {
  const batches = new Map<string, BatchRecord>();
  for (const row of rows) if (row.batch_ref && row.batch_json) batches.set(row.batch_ref, toBatchRecord(batchRowFromJson(row.batch_json)));
  return rows.map((row) => ({
    job: toJobRecord(row),
    batch: (row.batch_ref && batches.get(row.batch_ref)) || null,
    steps: row.steps ?? {},
    resumedWait: row.wait,
  }));
}

/** `ctx.step` results and waits already over, by step id. */
export type StepResults = Record<string, { value?: unknown; data?: unknown; timedOut?: boolean }>;

/** A wait as stored on the job; `completed`/`data` are added by `completeToken`. */
export interface StoredWait {
  id: string;
  kind: 'timer' | 'until' | 'token';
  token?: string;
  completed?: boolean;
  data?: unknown;
}

/** A wait a handler asked for (the attempt ends, the job goes `waiting`). */
export type PendingWait =
  | { id: string; kind: 'timer'; ms: number }
  | { id: string; kind: 'until'; until: Date }
  | { id: string; kind: 'token'; token: string; timeoutMs: number | null };

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

/** A successful attempt to record: `outputJson` null keeps what `ctx.setOutput` stored. */
export interface Completion {
  jobId: string;
  attempt: number;
  outputJson: string | null;
}

/** The completion of the attempt `fence` identifies. */
export function completionOf(fence: RunFence, outputJson: string | null): Completion {
  return { jobId: fence.jobId, attempt: fence.attempt, outputJson };
}

/** $1-$4 of the completion statements (see completeJobsSql). */
export function completionParams(workerId: string, completions: Completion[]): unknown[] {
  return [completions.map((c) => c.jobId), workerId, completions.map((c) => c.attempt), completions.map((c) => c.outputJson)];
}

/** Identifies one attempt of one job: the fence every write of that attempt carries. */
export interface RunFence {
  jobId: string;
  workerId: string;
  attempt: number;
}

/** An attempt a worker still runs although its job moved on; `status` is the job's now, null once deleted. */
export interface LostRun {
  jobId: string;
  attempt: number;
  status: JobStatus | null;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  queues: string;
}

/** NOTIFY channels of one schema: wake-ups (payload: queue names) and cancellations (payload: job id). */
export interface Channels {
  wake: string;
  cancel: string;
}

type Statements = ReturnType<typeof buildStatements>;

export function channelsOf(schema: string): Channels {
  return { wake: `${schema}_wake`, cancel: `${schema}_cancel` };
}

function buildStatements(schema: string) {
  const s = quoteIdent(schema);
  return {
    channels: channelsOf(schema),
    insert: insertJobsSql(s, { withKeys: false }),
    insertWithKeys: insertJobsSql(s, { withKeys: true }),
    byIdempotencyKey: jobsByIdempotencyKeySql(s),
    claim: (selector: QueueSelector) => claimJobsSql(s, selector),
    claimById: claimJobByIdSql(s),
    complete: completeJobsSql(s),
    fail: failJobSql(s),
    handBack: handBackJobSql(s),
    release: releaseJobsSql(s),
    setProgress: setProgressSql(s),
    setOutput: setOutputSql(s),
    saveSteps: saveStepsSql(s),
    startWait: startWaitSql(s),
    completeToken: completeTokenSql(s),
    reap: reapJobsSql(s),
    lostRuns: lostRunsSql(s),
    analyze: `ANALYZE ${s}.jobs (status, queue, priority, available_at)`,
    heartbeat: heartbeatSql(s),
    unregister: unregisterWorkerSql(s),
    cancel: cancelJobSql(s),
    retry: retryJobSql(s),
    reschedule: rescheduleJobSql(s),
    delete: deleteJobSql(s),
    get: getJobSql(s),
    executions: jobExecutionsSql(s),
    markDeadLettered: markDeadLetteredSql(s),
    list: (query: JobListQuery) => listJobsSql(s, query),
  };
}

/**
 * All SQL DataQueue runs against its tables, for one schema, on one connection source: the
 * pool, or (through `bindTo`) the caller's TypeORM transaction. Each method is one statement;
 * `./sql` explains why each has its shape.
 */
export class JobStore {
  private constructor(
    private readonly sql: Statements,
    /** The connection source this store runs on (shared with other stores in a transaction). */
    readonly db: SqlExecutor,
    private readonly transact: <T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>,
  ) {}

  static forPool(schema: string, pool: Pool, options?: PgExecutorOptions): JobStore {
    return new JobStore(buildStatements(schema), pgExecutor(pool, options), (work) => inTransaction(pool, work, options));
  }

  get channels(): Channels {
    return this.sql.channels;
  }

  /** The same store on the connection of a caller's transaction (already atomic: `transaction` just runs). */
  bindTo(manager: EntityManager): JobStore {
    const db = managerExecutor(manager);
    return new JobStore(this.sql, db, (work) => work(db));
  }

  /** Runs `work` with a store whose statements share one transaction. */
  transaction<T>(work: (tx: JobStore) => Promise<T>): Promise<T> {
    return this.transact((db) => work(new JobStore(this.sql, db, (inner) => inner(db))));
  }

  /**
   * Inserts jobs in one statement and returns one record per input, in input order; where an
   * idempotency key already existed, that existing job.
   */
  async insert(jobs: NewJob[]): Promise<InsertResult> {
    const column = <T>(pick: (job: NewJob) => T) => jobs.map(pick);
    const withKeys = jobs.some((j) => j.idempotencyKey !== null);
    const inserted = await this.db.rows<InsertedRow>(
      withKeys ? this.sql.insertWithKeys : this.sql.insert,
      [
        column((j) => j.jobType),
        column((j) => j.queue),
        `[${column((j) => j.payloadJson).join(',')}]`,
        column((j) => j.priority),
        column((j) => j.runAt),
        column((j) => j.delayMs),
        column((j) => j.maxAttempts),
        column((j) => j.timeoutMs),
        column((j) => JSON.stringify(j.tags)),
        column((j) => j.idempotencyKey),
        column((j) => j.deadLetterJobType),
        column((j) => j.batchId),
        column((j) => j.batchCallbackId),
        column((j) => JSON.stringify(j.concurrencyKeys)),
        this.sql.channels.wake,
      ],
      `${this.sql.channels.wake}_insert${withKeys ? '_keyed' : ''}`,
    );
    if (inserted.length === jobs.length) {
      const created = inserted.map((row, i) => insertedJobRecord(jobs[i], row));
      return { jobs: created, created };
    }
    // Some idempotency keys existed already (or repeat within this call): those jobs are answered
    // with the existing job, the others with their new rows, which come back in input order.
    const newByKey = new Map(inserted.filter((row) => row.idempotency_key !== null).map((row) => [row.idempotency_key, row]));
    const newUnkeyed = inserted.filter((row) => row.idempotency_key === null).values();
    const oldKeys = [...new Set(jobs.map((j) => j.idempotencyKey))].filter((k): k is string => k !== null && !newByKey.has(k));
    const old = oldKeys.length > 0 ? await this.db.rows<JobRow>(this.sql.byIdempotencyKey, [oldKeys]) : [];
    const byKey = new Map(old.map((row) => [row.idempotency_key, toJobRecord(row)]));
    const created: JobRecord[] = [];
    const records = jobs.map((job) => {
      const key = job.idempotencyKey;
      const known = key === null ? undefined : byKey.get(key);
      // Thrown after the INSERT: callers run keyed inserts in a transaction, so it rolls back.
      if (known && known.jobType !== job.jobType) throw new IdempotencyKeyConflictError(key!, job.jobType, known.jobType, known.id);
      if (known) return known;
      const row = key === null ? newUnkeyed.next().value : newByKey.get(key);
      if (!row) throw new Error(`idempotency key "${key}" neither inserted nor found`);
      const record = insertedJobRecord(job, row);
      created.push(record);
      if (key !== null) byKey.set(key, record); // a later job with this key gets this one
      return record;
    });
    return { jobs: records, created };
  }

  /** Claims one specific runnable job (inline mode runs the job it just inserted). */
  async claimById(jobId: string, workerId: string): Promise<ClaimedJob | null> {
    const [claimed] = toClaimedJobs(await this.db.rows<ClaimedRow>(this.sql.claimById, [jobId, workerId]));
    return claimed ?? null;
  }

  /** Claims up to `limit` runnable jobs, by priority, then id. */
  async claim(workerId: string, selector: QueueSelector, limit: number): Promise<ClaimedJob[]> {
    const rows = await this.db.rows<ClaimedRow>(
      this.sql.claim(selector),
      [selector.queues, workerId, limit],
      `${this.sql.channels.wake}_claim_${selector.kind}_${selector.queues.length === 1 ? 'one' : 'many'}`,
    );
    return toClaimedJobs(rows);
  }

  /** Completes attempts of `workerId` in one statement; returns the ids whose fence held. */
  async complete(workerId: string, completions: Completion[]): Promise<Set<string>> {
    const rows = await this.db.rows<{ id: string }>(
      this.sql.complete,
      completionParams(workerId, completions),
      `${this.sql.channels.wake}_complete`,
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Records a failed attempt; null when the fence failed. The row tells whether it will retry. */
  async fail(run: RunFence, entry: Omit<JobErrorEntry, 'timestamp'>, retryDelayMs: number): Promise<JobRecord | null> {
    const [row] = await this.db.rows<JobRow>(this.sql.fail, [
      run.jobId,
      run.workerId,
      run.attempt,
      JSON.stringify(entry),
      entry.reason,
      retryDelayMs,
    ]);
    return row ? toJobRecord(row) : null;
  }

  async handBack(run: RunFence, reason: string): Promise<boolean> {
    return this.fenced(this.sql.handBack, run, [reason]);
  }

  /** Returns claimed jobs that never started to the queue (see releaseJobsSql). */
  async release(workerId: string, jobs: JobRecord[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.rows(this.sql.release, [jobs.map((j) => j.id), workerId, jobs.map((j) => j.attempts), this.sql.channels.wake]);
  }

  async setProgress(run: RunFence, percent: number): Promise<boolean> {
    return this.fenced(this.sql.setProgress, run, [percent]);
  }

  async setOutput(run: RunFence, outputJson: string): Promise<boolean> {
    return this.fenced(this.sql.setOutput, run, [outputJson]);
  }

  async saveSteps(run: RunFence, steps: StepResults): Promise<boolean> {
    return this.fenced(this.sql.saveSteps, run, [JSON.stringify(steps)]);
  }

  /** Ends the attempt as a durable wait (see startWaitSql). */
  async startWait(run: RunFence, steps: StepResults, wait: PendingWait): Promise<boolean> {
    const at = wait.kind === 'until' ? wait.until : null;
    const delayMs = wait.kind === 'timer' ? wait.ms : wait.kind === 'token' ? wait.timeoutMs : null;
    const reason = wait.kind === 'token' ? `waiting for token "${wait.token}"` : 'waiting for a timer';
    const stored = { id: wait.id, kind: wait.kind, token: wait.kind === 'token' ? wait.token : undefined };
    return this.fenced(this.sql.startWait, run, [
      JSON.stringify(steps),
      JSON.stringify(stored),
      wait.kind === 'token' ? wait.token : null,
      at,
      delayMs,
      reason,
    ]);
  }

  /** Resumes the jobs waiting for `token`; returns how many there were. */
  async completeToken(token: string, dataJson: string): Promise<number> {
    const [row] = await this.db.rows<{ resumed: number }>(this.sql.completeToken, [token, dataJson, this.sql.channels.wake]);
    return row?.resumed ?? 0;
  }

  /** Returns jobs of dead workers; see reap-jobs.sql.ts. */
  async reap(workerTimeoutMs: number): Promise<JobRecord[]> {
    const rows = await this.db.rows<JobRow>(this.sql.reap, [workerTimeoutMs]);
    return rows.map((row) => toJobRecord(row));
  }

  /** The attempts among `runs` of `workerId` that their job no longer holds (see lostRunsSql). */
  async lostRuns(workerId: string, runs: { jobId: string; attempt: number }[]): Promise<LostRun[]> {
    if (runs.length === 0) return [];
    const rows = await this.db.rows<{ id: string; attempt: number; status: JobStatus | null }>(
      this.sql.lostRuns,
      [runs.map((run) => run.jobId), workerId, runs.map((run) => run.attempt)],
      `${this.sql.channels.wake}_lost_runs`,
    );
    return rows.map((row) => ({ jobId: row.id, attempt: row.attempt, status: row.status }));
  }

  /** Refreshes the planner's statistics of the columns the claim filters on (see PlannerStatistics). */
  async analyze(): Promise<void> {
    await this.db.rows(this.sql.analyze);
  }

  async markDeadLettered(jobId: string, deadLetterJobId: string): Promise<void> {
    await this.db.rows(this.sql.markDeadLettered, [jobId, deadLetterJobId]);
  }

  async heartbeat(worker: WorkerInfo): Promise<void> {
    await this.db.rows(this.sql.heartbeat, [worker.id, worker.hostname, worker.pid, worker.queues]);
  }

  async unregister(workerId: string): Promise<void> {
    await this.db.rows(this.sql.unregister, [workerId]);
  }

  async get(jobId: string): Promise<JobRecord | null> {
    return this.one(this.sql.get, [jobId]);
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
    const job = await this.one(this.sql.cancel, [jobId]);
    if (job) await this.announceCancelled([jobId]);
    return job;
  }

  async retry(jobId: string): Promise<{ job: JobRecord; wasDiscarded: boolean } | null> {
    const [row] = await this.db.rows<JobRow & { was_discarded: boolean }>(this.sql.retry, [jobId]);
    if (!row) return null;
    const job = toJobRecord(row);
    await this.wake([job.queue]);
    return { job, wasDiscarded: row.was_discarded };
  }

  async reschedule(jobId: string, runAt: Date): Promise<JobRecord | null> {
    return this.wakeFor(await this.one(this.sql.reschedule, [jobId, runAt]));
  }

  /** The deleted job, or null if there was none (or it is running). */
  async delete(jobId: string): Promise<JobRecord | null> {
    return this.one(this.sql.delete, [jobId]);
  }

  /** Wakes idle workers of these queues (on commit, inside a transaction). */
  async wake(queues: string[]): Promise<void> {
    if (queues.length > 0) await this.notify(this.sql.channels.wake, [...new Set(queues)].join(','));
  }

  /** Tells every process to abort these jobs if it runs them. */
  async announceCancelled(jobIds: string[]): Promise<void> {
    for (const id of jobIds) await this.notify(this.sql.channels.cancel, id);
  }

  private async notify(channel: string, payload: string): Promise<void> {
    await this.db.rows(notifySql, [channel, payload]);
  }

  private async wakeFor(job: JobRecord | null): Promise<JobRecord | null> {
    if (job) await this.wake([job.queue]);
    return job;
  }

  private async one(sql: string, params: unknown[]): Promise<JobRecord | null> {
    const [row] = await this.db.rows<JobRow>(sql, params);
    return row ? toJobRecord(row) : null;
  }

  private async fenced(sql: string, run: RunFence, params: unknown[]): Promise<boolean> {
    const rows = await this.db.rows(sql, [run.jobId, run.workerId, run.attempt, ...params]);
    return rows.length > 0;
  }
}
