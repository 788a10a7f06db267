import type { JobRecord } from '../core/job-record.js';
import { IdempotencyKeyConflictError, JobDependencyNotFoundError, JobOptionsInvalidError } from '../core/data-queue.errors.js';
import { bucketOf, type JobBucket, type JobStatus } from '../core/job-states.js';
import { insertedJobRecord, toJobRecord, type InsertedRow, type JobRow, type NewJob } from './job-row.js';
import { insertEdgesSql, lockPrerequisitesSql } from './sql/dependencies.sql.js';
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
    insertHeld: insertJobsSql(s, { withKeys: false, withDependencies: true }),
    insertHeldWithKeys: insertJobsSql(s, { withKeys: true, withDependencies: true }),
    lockPrerequisites: lockPrerequisitesSql(s),
    insertEdges: insertEdgesSql(s),
    settleKeys: settleIdempotencyKeysSql(s),
    cronTick: enqueueCronTickSql(s),
  };
}

/** A new job's dependencies as locked at its insert (see lockPrerequisitesSql): each one's id and bucket. */
type Hold = { id: string; bucket: JobBucket }[];

/** The holds of the jobs of one insert that have dependencies. */
type Holds = Map<NewJob, Hold>;

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
    const holds = jobs.some((job) => job.dependsOn.length > 0) ? await this.lockPrerequisites(jobs) : null;
    const createdBy = new Map<string, NewJob>();
    const inserted = await this.insertRows(jobs, holds);
    let result: InsertResult;
    if (inserted.length === jobs.length) {
      const created = inserted.map((row, i) => insertedJobRecord(jobs[i], row));
      created.forEach((record, i) => createdBy.set(record.id, jobs[i]));
      result = { jobs: created, created };
    } else {
      result = await this.settleKeys(jobs, inserted, holds, createdBy);
    }
    if (holds) await this.insertEdges(result.created, createdBy, holds);
    return result;
  }

  /**
   * Jobs with dependencies, before their insert: resolves and locks the dependencies (see
   * lockPrerequisitesSql, the race argument); an unknown one fails the whole insert.
   */
  private async lockPrerequisites(jobs: NewJob[]): Promise<Holds> {
    const refs = jobs.flatMap((job) => job.dependsOn);
    const ids = [...new Set(refs.flatMap((ref) => ('id' in ref ? [ref.id] : [])))];
    const keys = [...new Set(refs.flatMap((ref) => ('idempotencyKey' in ref ? [ref.idempotencyKey] : [])))];
    const rows = await this.db.rows<{ id: string; idempotency_key: string | null; status: JobStatus; next_attempt_at: Date | null }>(
      this.sql.lockPrerequisites,
      [ids, keys],
    );
    const found = new Map<string, { id: string; bucket: JobBucket }>();
    for (const row of rows) {
      const prerequisite = { id: row.id, bucket: bucketOf({ status: row.status, nextAttemptAt: row.next_attempt_at }) };
      found.set(`id:${row.id}`, prerequisite);
      if (row.idempotency_key !== null) found.set(`key:${row.idempotency_key}`, prerequisite);
    }
    const holds: Holds = new Map();
    for (const job of jobs) {
      if (job.dependsOn.length === 0) continue;
      const hold = new Map<string, { id: string; bucket: JobBucket }>();
      job.dependsOn.forEach((ref, i) => {
        const prerequisite = found.get('id' in ref ? `id:${ref.id}` : `key:${ref.idempotencyKey}`);
        if (!prerequisite) throw new JobDependencyNotFoundError(job.jobType, `dependsOn[${i}]`, ref);
        hold.set(prerequisite.id, prerequisite);
      });
      holds.set(job, [...hold.values()]);
    }
    return holds;
  }

  /** The edges of the jobs this insert created, each in its dependency's bucket at the insert. */
  private async insertEdges(created: JobRecord[], createdBy: Map<string, NewJob>, holds: Holds): Promise<void> {
    const edges = created.flatMap((record) => (holds.get(createdBy.get(record.id)!) ?? []).map((p) => ({ jobId: record.id, ...p })));
    if (edges.length === 0) return;
    await this.db.rows(this.sql.insertEdges, [edges.map((e) => e.jobId), edges.map((e) => e.id), edges.map((e) => e.bucket)]);
  }

  /** The INSERT (insertJobsSql); the keyed form only when a job has a key, the held form only when one has dependencies. */
  private insertRows(jobs: NewJob[], holds: Holds | null): Promise<InsertedRow[]> {
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
      column((j) => j.fairKey),
      column((j) => j.fairWeight),
    ];
    if (withKeys) {
      params.push(
        column((j) => (typeof j.idempotencyWindow === 'number' ? j.idempotencyWindow : null)),
        column((j) => (j.idempotencyWindow === 'unfinished' ? true : null)),
      );
    }
    if (holds) {
      const hold = (j: NewJob) => holds.get(j) ?? [];
      const discarded = (j: NewJob) => hold(j).filter((p) => p.bucket === 'discarded');
      params.push(
        column((j) => hold(j).filter((p) => p.bucket === 'pending').length),
        column((j) => discarded(j).length),
        column((j) => discarded(j)[0]?.id ?? null),
        column((j) => j.onDependencyFailure),
      );
      return this.db.rows<InsertedRow>(withKeys ? this.sql.insertHeldWithKeys : this.sql.insertHeld, params);
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
  private async settleKeys(
    jobs: NewJob[],
    inserted: InsertedRow[],
    holds: Holds | null,
    createdBy: Map<string, NewJob>,
  ): Promise<InsertResult> {
    const records: JobRecord[] = new Array<JobRecord>(jobs.length);
    const occurrences = new Map<string, number[]>();
    // The new rows come back in input order: unkeyed ones one by one, keyed ones under their key.
    const newUnkeyed = inserted.filter((row) => row.idempotency_key === null).values();
    jobs.forEach((job, i) => {
      const key = job.idempotencyKey;
      if (key === null) {
        records[i] = insertedJobRecord(job, newUnkeyed.next().value!);
        createdBy.set(records[i].id, job);
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
        createdBy.set(row.id, voices.get(key)!);
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
        if (row) createdBy.set(row.id, jobs[first]); // created by this call, then replaced by a later job of it
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
      if (unsettled.size > 0) adopt(await this.insertRows([...unsettled.values()], holds), unsettled);
    }
    const created = [...new Set(records)].filter((record) => createdBy.has(record.id));
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
      job.fairKey,
      job.fairWeight,
    ]);
    return row ? toJobRecord(row) : null;
  }
}
