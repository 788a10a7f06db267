import type { JobRecord } from '../core/job-record.js';
import { IdempotencyKeyConflictError } from '../core/data-queue.errors.js';
import { insertedJobRecord, toJobRecord, type InsertedRow, type JobRow, type NewJob } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import { enqueueCronTickSql, insertJobsSql, jobsByIdempotencyKeySql } from './sql/insert-jobs.sql.js';

export interface InsertResult {
  /** One per input, in input order (an existing job where an idempotency key matched). */
  jobs: JobRecord[];
  /** The rows this insert created. */
  created: JobRecord[];
}

export function insertStatements(s: string) {
  return {
    insert: insertJobsSql(s, { withKeys: false }),
    insertWithKeys: insertJobsSql(s, { withKeys: true }),
    byIdempotencyKey: jobsByIdempotencyKeySql(s),
    cronTick: enqueueCronTickSql(s),
  };
}

/** Creates jobs: the INSERTs every route that makes jobs ends in (see JobInserter, the pipeline before them). */
export class InsertStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof insertStatements>,
    private readonly wakeChannel: string,
  ) {}

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
        this.wakeChannel,
        column((j) => (j.traceContext === null ? null : JSON.stringify(j.traceContext))),
      ],
      `${this.wakeChannel}_insert${withKeys ? '_keyed' : ''}`,
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

  /**
   * The job of one cron tick (`tick` null: now), once across every process, and only while the
   * entry is enabled unless `force` (see enqueueCronTickSql); null when it was not inserted.
   */
  async insertCronTick(job: NewJob, cron: { key: string; tick: Date | null; force: boolean }): Promise<JobRecord | null> {
    const [row] = await this.db.rows<JobRow>(this.sql.cronTick, [
      cron.key,
      cron.tick,
      cron.force,
      job.jobType,
      job.queue,
      job.payloadJson,
      job.priority,
      job.maxAttempts,
      job.timeoutMs,
      job.tags,
      job.deadLetterJobType,
      this.wakeChannel,
      job.concurrencyKeys,
    ]);
    return row ? toJobRecord(row) : null;
  }
}
