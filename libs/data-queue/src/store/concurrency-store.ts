import type { JobRecord } from '../core/job-record.js';
import type { RunFence } from './attempt-store.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import { admitJobSql, deferJobSql, keyCountsSql, latestWithKeySql, lockKeysSql, recordEventsSql } from './sql/concurrency.sql.js';

/** See keyCountsSql. */
export interface KeyCountsRow {
  unfinished: number;
  /** Claimed by a worker, checked or not. */
  processing: number;
  /** Passed a perform check under the key (see keyCountsSql). */
  running: number;
  enqueued: number;
  performed: number;
  perform_frees_in_ms: number | null;
}

export function concurrencyStatements(s: string) {
  return {
    counts: keyCountsSql(s),
    record: recordEventsSql(s),
    latest: latestWithKeySql(s),
    admit: admitJobSql(s),
    defer: deferJobSql(s),
  };
}

/**
 * What concurrency limits are decided on (see sql/concurrency.sql.ts): per-key advisory locks,
 * counts and throttle events, and a claimed job's admission or deferral. Every method belongs
 * in a transaction that took `lockKeys` first; ConcurrencyGate makes the decisions.
 */
export class ConcurrencyStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof concurrencyStatements>,
    /** The advisory locks' namespace: the schema, so two schemas never share a key's lock. */
    private readonly lockNamespace: string,
  ) {}

  /** Locks these keys until the transaction ends, in key order. */
  async lockKeys(keys: string[]): Promise<void> {
    await this.db.rows(lockKeysSql, [this.lockNamespace, keys]);
  }

  /** Counts for `key` (see keyCountsSql); throttle windows in ms, 0 when the rule has none. */
  async counts(key: string, exceptJobId: string, enqueueWindowMs: number, performWindowMs: number): Promise<KeyCountsRow> {
    const [counts] = await this.db.rows<KeyCountsRow>(this.sql.counts, [key, exceptJobId, enqueueWindowMs, performWindowMs]);
    return counts;
  }

  /** The latest job with `key` (what a skipped enqueue answers with), or null. */
  async latestWithKey(key: string): Promise<JobRecord | null> {
    const [row] = await this.db.rows<JobRow>(this.sql.latest, [key]);
    return row ? toJobRecord(row) : null;
  }

  /** One throttle event per key, pruning those older than `keepMs`. */
  async recordEvents(keys: string[], kind: 'enqueue' | 'perform', keepMs: number): Promise<void> {
    await this.db.rows(this.sql.record, [keys, kind, keepMs]);
  }

  /** The attempt passed its perform check under `keys`; false when it was fenced out meanwhile. */
  async admit(fence: RunFence, keys: string[]): Promise<boolean> {
    const [admitted] = await this.db.rows(this.sql.admit, [fence.jobId, fence.workerId, fence.attempt, keys]);
    return admitted !== undefined;
  }

  /** Sends the attempt back to pending without using it, claimable again in `waitMs`. */
  async defer(fence: RunFence, waitMs: number, reason: string): Promise<void> {
    await this.db.rows(this.sql.defer, [fence.jobId, fence.workerId, fence.attempt, waitMs, reason]);
  }
}
