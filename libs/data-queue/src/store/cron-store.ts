import type { CronJobOptions } from '../core/cron-entry.js';
import type { SqlExecutor } from './sql/executor.js';
import { databaseTimeSql, getCronEntrySql, listCronEntriesSql, setCronEnabledSql, upsertCronEntrySql } from './sql/cron.sql.js';

export interface CronEntryRow {
  key: string;
  schedule: string;
  timezone: string;
  job_type: string;
  payload: unknown;
  options: CronJobOptions;
  enabled: boolean;
  last_run_at: Date | null;
  created_at: Date;
  /** The database's time, for the next tick. */
  db_now: Date;
}

/** What a deploy declares of an entry (payload and options as JSON). */
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
    upsert: upsertCronEntrySql(s),
    list: listCronEntriesSql(s),
    get: getCronEntrySql(s),
    setEnabled: setCronEnabledSql(s),
  };
}

/**
 * Cron entries, shared by every process (see sql/cron.sql.ts), and the database's clock they
 * tick on. A tick's job is inserted by InsertStore.insertCronTick.
 */
export class CronStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof cronStatements>,
  ) {}

  async upsert(entry: CronDeclaration): Promise<void> {
    await this.db.rows(this.sql.upsert, [entry.key, entry.schedule, entry.timezone, entry.jobType, entry.payloadJson, entry.optionsJson]);
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
    const [row] = await this.db.rows<CronEntryRow>(this.sql.setEnabled, [key, enabled]);
    return row ?? null;
  }

  /** One reading of the database's clock (see DatabaseClock, which measures the offset). */
  async databaseTime(): Promise<Date> {
    const [{ now }] = await this.db.rows<{ now: Date }>(databaseTimeSql);
    return now;
  }
}
