import type { JobRecord } from '../core/job-record.js';
import { IdempotencyKeyConflictError, JobOptionsInvalidError } from '../core/data-queue.errors.js';
import { insertedJobRecord, toJobRecord, type InsertedRow, type JobRow, type NewJob } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import { enqueueCronTickSql, insertJobsSql, settleIdempotencyKeysSql } from './sql/insert-jobs.sql.js';

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
    settleKeys: settleIdempotencyKeysSql(s),
    cronTick: enqueueCronTickSql(s),
  };
}

/** A holder of a key an insert found taken, and what settling did to it (see settleIdempotencyKeysSql). */
type SettledRow = JobRow & { outcome: 'kept' | 'replaced' | 'released' | 'other_keys' | 'changed' };

/**
 * Rounds of insert-then-settle one call may take. Each round that does not settle a key means
 * another transaction changed its holder in between (freed it, or a worker claimed it), so a
 * few rounds are plenty; the bound turns a livelock into an error.
 */
const MAX_SETTLE_ROUNDS = 10;

/** Creates jobs: the INSERTs every route that makes jobs ends in (see JobInserter, the pipeline before them). */
export class InsertStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof insertStatements>,
    private readonly wakeChannel: string,
  ) {}

  /**
   * Inserts jobs in one statement and returns one record per input, in input order. A job whose
   * idempotency key is held gets the holder (replaced, when it asks for that and the holder is
   * pending), or a new job when the holder's window has passed. Jobs of one call that share a
   * key are one job: the last of them that replaces speaks for the key, else the first.
   */
  async insert(jobs: NewJob[]): Promise<InsertResult> {
    const inserted = await this.insertRows(jobs);
    if (inserted.length === jobs.length) {
      const created = inserted.map((row, i) => insertedJobRecord(jobs[i], row));
      return { jobs: created, created };
    }
    return this.settleKeys(jobs, inserted);
  }

  /** The INSERT (insertJobsSql); the keyed form only when a job has a key. */
  private insertRows(jobs: NewJob[]): Promise<InsertedRow[]> {
    const column = <T>(pick: (job: NewJob) => T) => jobs.map(pick);
    const withKeys = jobs.some((j) => j.idempotencyKey !== null);
    const params: unknown[] = [
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
    ];
    if (withKeys) {
      params.push(
        column((j) => (typeof j.idempotencyWindow === 'number' ? j.idempotencyWindow : null)),
        column((j) => (j.idempotencyWindow === 'unfinished' ? true : null)),
      );
    }
    return this.db.rows<InsertedRow>(
      withKeys ? this.sql.insertWithKeys : this.sql.insert,
      params,
      `${this.wakeChannel}_insert${withKeys ? '_keyed' : ''}`,
    );
  }

  /**
   * After an insert that skipped some keyed jobs (their key was held, or repeated in this call):
   * settles each key with its holder, and inserts again where the holder let the key go or
   * changed meanwhile, until every key is answered. Callers run keyed inserts in a transaction,
   * so an error thrown here rolls back every row of the call.
   */
  private async settleKeys(jobs: NewJob[], inserted: InsertedRow[]): Promise<InsertResult> {
    const records: JobRecord[] = new Array<JobRecord>(jobs.length);
    const createdIds = new Set<string>();
    const occurrences = new Map<string, number[]>();
    // The new rows come back in input order: unkeyed ones one by one, keyed ones under their key.
    const newUnkeyed = inserted.filter((row) => row.idempotency_key === null).values();
    jobs.forEach((job, i) => {
      const key = job.idempotencyKey;
      if (key === null) {
        records[i] = insertedJobRecord(job, newUnkeyed.next().value!);
        createdIds.add(records[i].id);
      } else {
        const indexes = occurrences.get(key);
        if (indexes) indexes.push(i);
        else occurrences.set(key, [i]);
      }
    });
    // Never a job of another type: nothing is enqueued then (see IdempotencyKeyConflictError).
    const answer = (key: string, record: JobRecord) => {
      for (const i of occurrences.get(key)!) {
        if (jobs[i].jobType !== record.jobType) throw new IdempotencyKeyConflictError(key, jobs[i].jobType, record.jobType, record.id);
        records[i] = record;
      }
    };
    const adopt = (rows: InsertedRow[], voices: Map<string, NewJob>) => {
      for (const row of rows) {
        const key = row.idempotency_key!;
        createdIds.add(row.id);
        answer(key, insertedJobRecord(voices.get(key)!, row));
        voices.delete(key);
      }
    };

    // A key's voice: its last job that replaces (the earlier ones are replaced by it), else its first.
    const unsettled = new Map<string, NewJob>();
    const newByKey = new Map(inserted.filter((row) => row.idempotency_key !== null).map((row) => [row.idempotency_key!, row]));
    for (const [key, [first, ...later]] of occurrences) {
      const row = newByKey.get(key);
      const replacing = later.findLast((i) => jobs[i].replacesPending);
      if (row && replacing === undefined) {
        adopt([row], new Map([[key, jobs[first]]]));
      } else {
        if (row) createdIds.add(row.id); // created by this call, then replaced by a later job of it
        unsettled.set(key, jobs[replacing ?? first]);
      }
    }

    for (let round = 1; unsettled.size > 0; round++) {
      if (round > MAX_SETTLE_ROUNDS) {
        throw new Error(
          `idempotency keys ${JSON.stringify([...unsettled.keys()])} changed hands ${MAX_SETTLE_ROUNDS} times in one enqueue`,
        );
      }
      for (const holder of await this.holders([...unsettled.values()])) {
        const key = holder.idempotency_key!;
        const job = unsettled.get(key)!;
        if (holder.outcome === 'released' || holder.outcome === 'changed') continue;
        if (holder.outcome === 'other_keys') {
          const change = `${JSON.stringify(holder.concurrency_keys)} to ${JSON.stringify(job.concurrencyKeys)}`;
          throw new JobOptionsInvalidError(
            'payload',
            `replacing job ${holder.id} (idempotency key "${key}") would change its concurrency keys (${change})`,
            job.jobType,
          );
        }
        answer(key, toJobRecord(holder));
        unsettled.delete(key);
      }
      if (unsettled.size > 0) adopt(await this.insertRows([...unsettled.values()]), unsettled);
    }
    const created = [...new Set(records)].filter((record) => createdIds.has(record.id));
    return { jobs: records, created };
  }

  /** The holders of these jobs' keys, settled (see settleIdempotencyKeysSql). */
  private holders(voices: NewJob[]): Promise<SettledRow[]> {
    const column = <T>(pick: (job: NewJob) => T) => voices.map(pick);
    return this.db.rows<SettledRow>(this.sql.settleKeys, [
      column((j) => j.idempotencyKey),
      column((j) => j.jobType),
      `[${column((j) => j.payloadJson).join(',')}]`,
      column((j) => j.priority),
      column((j) => j.runAt),
      column((j) => j.delayMs),
      column((j) => j.replacesPending),
      column((j) => JSON.stringify(j.concurrencyKeys)),
      this.wakeChannel,
    ]);
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
