import { Injectable } from '@nestjs/common';
import type { CronEntryDefinition, CronEntryRecord } from '../../core/cron-entry.js';
import {
  CronEntryDeclaredInCodeError,
  CronEntryInvalidError,
  CronEntryNotFoundError,
  DataQueueError,
} from '../../core/data-queue.errors.js';
import type { JobRecord } from '../../core/job-record.js';
import { unstorableText } from '../../core/storable-text.js';
import { idText } from '../../queue/ids.js';
import { JobInserter } from '../../queue/job-inserter.js';
import { NewJobFactory } from '../../queue/new-job.factory.js';
import type { CronDeclaration, CronEntryRow } from '../../store/cron-store.js';
import { QueueDatabase } from '../../store/queue-database.js';
import { resolveCronEntry, type ResolvedCronEntry } from './cron-definitions.js';
import { CronSchedule } from './cron-schedule.js';

/** Cron entries as shared state: declared by code or created at runtime, enabled/disabled and run by anyone. */
@Injectable()
export class CronService {
  constructor(
    private readonly database: QueueDatabase,
    private readonly newJobs: NewJobFactory,
    private readonly inserter: JobInserter,
  ) {}

  /** A deploy's entry: created, updated, or taken over from `upsertCron` (code wins). */
  async declare(entry: ResolvedCronEntry): Promise<void> {
    await this.database.store.cron.declare(declarationOf(entry));
  }

  /**
   * Creates or changes a runtime entry, checked by the rules of a declared one, and its job as
   * at enqueue (a known or published job type, a valid payload), without enqueuing anything.
   */
  async upsert(definition: CronEntryDefinition): Promise<CronEntryRecord> {
    const key = typeof definition?.key === 'string' ? definition.key : null;
    const entry = resolveCronEntry(definition, (field, detail) => {
      throw new CronEntryInvalidError(key, field, detail);
    });
    await this.newJobs.createMany([{ jobType: entry.jobType, payload: entry.payload, options: entry.options }]);
    const row = await this.database.store.cron.upsertRuntime(declarationOf(entry));
    if (!row) throw new CronEntryDeclaredInCodeError(entry.key);
    return toCronRecord(row);
  }

  /**
   * Deletes a runtime entry: no process ticks it any more. Jobs it enqueued already stay. False
   * if there was no such entry; an entry declared in code cannot be removed here.
   */
  async remove(key: string): Promise<boolean> {
    if (!isStoredKey(key)) return false;
    if (await this.database.store.cron.removeRuntime(key)) return true;
    const row = await this.database.store.cron.get(key);
    if (row) throw new CronEntryDeclaredInCodeError(key);
    return false;
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
    const entry = await this.get(key);
    const job = await this.insertTick(entry, null, true);
    if (!job) throw new DataQueueError(`cron entry "${key}": a job for this instant exists already`);
    return job;
  }

  /**
   * The job of one scheduled tick, or null: another process enqueued it first, the entry is
   * disabled or gone, or the tick is not one of its current schedule (this process has not
   * heard of a change yet, see CronScheduler).
   */
  async enqueueTick(key: string, tick: Date): Promise<JobRecord | null> {
    const row = await this.database.store.cron.get(key);
    if (!row || !isCurrentTick(row, tick)) return null;
    return this.insertTick(toCronRecord(row), tick, false);
  }

  private async insertTick(entry: CronEntryRecord, tick: Date | null, force: boolean): Promise<JobRecord | null> {
    const job = await this.newJobs.createTrusted(entry.jobType, entry.payload, entry.options);
    return this.inserter.enqueueCronTick(job, { key: entry.key, tick, force });
  }
}

function declarationOf(entry: ResolvedCronEntry): CronDeclaration {
  return {
    key: entry.key,
    schedule: entry.schedule.expression,
    timezone: entry.schedule.timezone,
    jobType: entry.jobType,
    payloadJson: JSON.stringify(entry.payload),
    optionsJson: JSON.stringify(entry.options),
  };
}

/** A tick of the entry's schedule as stored now, from when that schedule took effect. */
function isCurrentTick(row: CronEntryRow, tick: Date): boolean {
  if (tick <= row.scheduled_since) return false;
  try {
    return new CronSchedule(row.schedule, row.timezone).includes(tick);
  } catch {
    return false;
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
    source: row.source,
    createdAt: row.created_at,
    scheduledSince: row.scheduled_since,
    lastRunAt: row.last_run_at,
    nextRunAt,
  };
}

/** A key Postgres could hold (no entry has one that is not): anything else is simply unknown. */
function isStoredKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= 255 && unstorableText(key) === null;
}
