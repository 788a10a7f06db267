import { Injectable } from '@nestjs/common';
import type { CronEntryDefinition, CronEntryRecord, CronJobOptions } from '../../core/cron-entry.js';
import { CronEntryNotFoundError, DataQueueError } from '../../core/data-queue.errors.js';
import type { JobRecord } from '../../core/job-record.js';
import { unstorableText } from '../../core/storable-text.js';
import { idText } from '../../queue/ids.js';
import { JobInserter } from '../../queue/job-inserter.js';
import { NewJobFactory } from '../../queue/new-job.factory.js';
import type { CronEntryRow } from '../../store/cron-store.js';
import { QueueDatabase } from '../../store/queue-database.js';
import { CronSchedule } from './cron-schedule.js';

/** Cron entries as shared state: declared by code, enabled/disabled and run by anyone. */
@Injectable()
export class CronService {
  constructor(
    private readonly database: QueueDatabase,
    private readonly newJobs: NewJobFactory,
    private readonly inserter: JobInserter,
  ) {}

  async declare(entry: Required<Omit<CronEntryDefinition, 'options'>> & { options: CronJobOptions }): Promise<void> {
    await this.database.store.cron.upsert({
      key: entry.key,
      schedule: entry.schedule,
      timezone: entry.timezone,
      jobType: entry.jobType,
      payloadJson: JSON.stringify(entry.payload ?? {}),
      optionsJson: JSON.stringify(entry.options),
    });
  }

  async list(): Promise<CronEntryRecord[]> {
    const rows = await this.database.store.cron.list();
    return rows.map((row) => toCronRecord(row));
  }

  async get(key: string): Promise<CronEntryRecord> {
    if (!isStoredKey(key)) throw new CronEntryNotFoundError(idText(key));
    const row = await this.database.store.cron.get(key);
    if (!row) throw new CronEntryNotFoundError(key);
    return toCronRecord(row);
  }

  async setEnabled(key: string, enabled: boolean): Promise<CronEntryRecord> {
    if (!isStoredKey(key)) throw new CronEntryNotFoundError(idText(key));
    const row = await this.database.store.cron.setEnabled(key, enabled);
    if (!row) throw new CronEntryNotFoundError(key);
    return toCronRecord(row);
  }

  /** Enqueues the entry's job now (by the database's clock), enabled or not. */
  async runNow(key: string): Promise<JobRecord> {
    const job = await this.enqueueTick(key, null, true);
    if (!job) throw new DataQueueError(`cron entry "${key}": a job for this instant exists already`);
    return job;
  }

  /** The job of one tick (null: now), or null if another process enqueued it first or the entry is disabled. */
  async enqueueTick(key: string, tick: Date | null, force = false): Promise<JobRecord | null> {
    const entry = await this.get(key);
    const row = await this.newJobs.createTrusted(entry.jobType, entry.payload, entry.options);
    return this.inserter.enqueueCronTick(row, { key, tick, force });
  }
}

function toCronRecord(row: CronEntryRow): CronEntryRecord {
  let nextRunAt: Date | null = null;
  try {
    nextRunAt = row.enabled ? new CronSchedule(row.schedule, row.timezone).next(row.db_now) : null;
  } catch {
    // declared by another version of the app with a schedule this one cannot read
  }
  return {
    key: row.key,
    schedule: row.schedule,
    timezone: row.timezone,
    jobType: row.job_type,
    payload: row.payload,
    options: row.options,
    enabled: row.enabled,
    createdAt: row.created_at,
    lastRunAt: row.last_run_at,
    nextRunAt,
  };
}

/** A key Postgres could hold (no entry has one that is not): anything else is simply unknown. */
function isStoredKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= 255 && unstorableText(key) === null;
}
