import type { CronEntrySource, CronJobOptions } from '../core/cron-entry.js';
import type { SqlExecutor } from './sql/executor.js';
import {
  databaseTimeSql,
  declareCronEntrySql,
  getCronEntrySql,
  listCronEntriesSql,
  removeRuntimeCronEntrySql,
  setCronEnabledSql,
  upsertRuntimeCronEntrySql,
} from './sql/cron.sql.js';

export interface CronEntryRow {
  key: string;
  schedule: string;
  timezone: string;
  job_type: string;
  payload: unknown;
  options: CronJobOptions;
  enabled: boolean;
  source: CronEntrySource;
  last_run_at: Date | null;
  created_at: Date;
  scheduled_since: Date;
  /** The database's time, for the next tick. */
  db_now: Date;
}

/** An entry as written by a deploy or by `upsertCron` (payload and options as JSON). */
export interface CronDeclaration {
  key: string;
  schedule: string;
  timezone: string;
  jobType: string;
  payloadJson: string;
  optionsJson: string;
}

export function cronStatements(s: string) {
  return {
    declare: declareCronEntrySql(s),
    upsertRuntime: upsertRuntimeCronEntrySql(s),
    removeRuntime: removeRuntimeCronEntrySql(s),
    list: listCronEntriesSql(s),
    get: getCronEntrySql(s),
    setEnabled: setCronEnabledSql(s),
  };
}

/**
 * Cron entries, shared by every process (see sql/cron.sql.ts), and the database's clock they
 * tick on. Every write notifies `channel`. A tick's job is inserted by InsertStore.insertCronTick.
 */
export class CronStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof cronStatements>,
    private readonly channel: string,
  ) {}

  /** A deploy's entry (source 'code'). */
  async declare(entry: CronDeclaration): Promise<void> {
    await this.db.rows(this.sql.declare, this.paramsOf(entry));
  }

  /** The runtime entry after the write, or null when the key is declared in code (nothing written). */
  async upsertRuntime(entry: CronDeclaration): Promise<CronEntryRow | null> {
    const [row] = await this.db.rows<CronEntryRow>(this.sql.upsertRuntime, this.paramsOf(entry));
    return row ?? null;
  }

  /** False when there is no runtime entry of this key (none at all, or one declared in code). */
  async removeRuntime(key: string): Promise<boolean> {
    const rows = await this.db.rows(this.sql.removeRuntime, [this.channel, key]);
    return rows.length > 0;
  }

  async list(): Promise<CronEntryRow[]> {
    return this.db.rows<CronEntryRow>(this.sql.list);
  }

  async get(key: string): Promise<CronEntryRow | null> {
    const [row] = await this.db.rows<CronEntryRow>(this.sql.get, [key]);
    return row ?? null;
  }

  /** The entry after the change, or null if there is none. */
  async setEnabled(key: string, enabled: boolean): Promise<CronEntryRow | null> {
    const [row] = await this.db.rows<CronEntryRow>(this.sql.setEnabled, [this.channel, key, enabled]);
    return row ?? null;
  }

  /** One reading of the database's clock (see DatabaseClock, which measures the offset). */
  async databaseTime(): Promise<Date> {
    const [{ now }] = await this.db.rows<{ now: Date }>(databaseTimeSql);
    return now;
  }

  private paramsOf(entry: CronDeclaration): unknown[] {
    return [this.channel, entry.key, entry.schedule, entry.timezone, entry.jobType, entry.payloadJson, entry.optionsJson];
  }
}
