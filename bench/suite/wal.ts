/**
 * What a stretch of work writes to the server's WAL: bytes, from the LSN, and with pg_walinspect the
 * records by type, from which the report counts the heap rows and index entries written per job.
 */
import { sleep, type AdminDb } from './util.js';

/** Heap rows written: inserted, updated (HOT or not) or deleted. A multi-insert record (COPY) counts once. */
const ROW_WRITE = /^Heap2?\/(INSERT|MULTI_INSERT|UPDATE|HOT_UPDATE|DELETE)(\+INIT)?$/;
/** Row locks written (SELECT … FOR UPDATE and the like): not rows, but WAL records of their own. */
const ROW_LOCK = /^Heap2?\/(LOCK|LOCK_UPDATED)$/;
/** Index entries written: B-tree leaf, posting-list and parent-page inserts, GIN and hash inserts. */
const INDEX_ENTRY = /^(Btree\/INSERT_(LEAF|UPPER|POST)|Gin\/INSERT(_LISTPAGE)?|Hash\/INSERT)$/;

/** Only a few records are written after the last commit (none by a drain): the walwriter flushes them within 200 ms. */
const FLUSH_TIMEOUT_MS = 10_000;

export interface WalCost {
  bytes: number;
  /** Records per type ("Heap/INSERT", …); null when they could not be read, and `missing` says why. */
  records: Record<string, number> | null;
  missing?: string;
}

export class WalMeter {
  /** The records of every range measured, by its label (kept in the child's result as raw data). */
  readonly measured: Record<string, Record<string, number>> = {};

  private constructor(
    private readonly admin: AdminDb,
    private readonly inspect: boolean,
  ) {}

  /** main.ts installs pg_walinspect when its role may; without it only bytes are measured. */
  static async locate(admin: AdminDb): Promise<WalMeter> {
    const [{ installed }] = await admin.query<{ installed: boolean }>(
      "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_walinspect') AS installed",
    );
    return new WalMeter(admin, installed);
  }

  /** The WAL insert position now. */
  async position(): Promise<string> {
    const [{ lsn }] = await this.admin.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return lsn;
  }

  /**
   * What was written between two positions; the records are kept under `label`. Reading them may
   * fail (a checkpoint may have recycled the range's segments) without failing the workload.
   */
  async between(from: string, to: string, label: string): Promise<WalCost> {
    const [{ bytes }] = await this.admin.query<{ bytes: string }>('SELECT ($2::pg_lsn - $1::pg_lsn)::text AS bytes', [from, to]);
    if (!this.inspect) return { bytes: Number(bytes), records: null, missing: 'pg_walinspect is not installed (it needs a superuser)' };
    try {
      await this.flushedUpTo(to);
      const rows = await this.admin.query<{ type: string; count: string }>(
        `SELECT "resource_manager/record_type" AS type, count::text FROM pg_get_wal_stats($1, $2, true) WHERE count > 0`,
        [from, to],
      );
      const records = Object.fromEntries(rows.map((row) => [row.type, Number(row.count)]));
      this.measured[label] = records;
      return { bytes: Number(bytes), records };
    } catch (error) {
      return { bytes: Number(bytes), records: null, missing: `pg_walinspect could not read the WAL: ${(error as Error).message}` };
    }
  }

  /** pg_walinspect reads flushed WAL only. */
  private async flushedUpTo(lsn: string): Promise<void> {
    const deadline = performance.now() + FLUSH_TIMEOUT_MS;
    for (;;) {
      const [{ flushed }] = await this.admin.query<{ flushed: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS flushed', [
        lsn,
      ]);
      if (flushed) return;
      if (performance.now() > deadline) throw new Error(`WAL not flushed up to ${lsn} after ${FLUSH_TIMEOUT_MS / 1000} s`);
      await sleep(20);
    }
  }
}

/** Heap rows, row locks and index entries written, from a range's records. */
export function writesOf(records: Record<string, number>): { rows: number; rowLocks: number; indexEntries: number } {
  let rows = 0;
  let rowLocks = 0;
  let indexEntries = 0;
  for (const [type, count] of Object.entries(records)) {
    if (ROW_WRITE.test(type)) rows += count;
    else if (ROW_LOCK.test(type)) rowLocks += count;
    else if (INDEX_ENTRY.test(type)) indexEntries += count;
  }
  return { rows, rowLocks, indexEntries };
}
