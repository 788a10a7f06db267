import type { CronEntryDefinition, CronJobOptions } from '../../core/cron-entry.js';
import { DataQueueOptionsInvalidError } from '../../core/data-queue.errors.js';
import { validateJobSettings } from '../../core/job-settings.validation.js';
import type { RegisteredHandler } from '../../handlers/handler-registry.js';
import { CronSchedule } from './cron-schedule.js';

export interface ResolvedCronEntry {
  key: string;
  schedule: CronSchedule;
  jobType: string;
  payload: unknown;
  options: CronJobOptions;
}

/**
 * Every cron entry of this app — module `cron` option and handlers' `cron` — checked at boot:
 * a bad expression, zone or option fails startup with an error naming the entry.
 */
export function resolveCronEntries(moduleEntries: CronEntryDefinition[], handlers: RegisteredHandler[]): ResolvedCronEntry[] {
  const fromHandlers = handlers.flatMap(({ jobType, options }) => {
    const cron = options.cron;
    if (cron === undefined) return [];
    const definition = typeof cron === 'string' ? { schedule: cron } : cron;
    return [{ ...definition, key: definition.key ?? jobType, jobType }];
  });
  const seen = new Set<string>();
  return [...moduleEntries, ...fromHandlers].map((entry, index) => {
    const name = typeof entry?.key === 'string' && entry.key ? entry.key : `#${index}`;
    const invalid = (field: string, detail: string): never => {
      throw new DataQueueOptionsInvalidError(`cron[${name}]${field ? `.${field}` : ''}`, detail);
    };
    if (typeof entry?.key !== 'string' || entry.key.length === 0 || entry.key.length > 255) invalid('key', 'must be a non-empty string');
    if (seen.has(entry.key)) invalid('key', 'is declared twice');
    seen.add(entry.key);
    if (typeof entry.jobType !== 'string' || entry.jobType.length === 0) invalid('jobType', 'must be a job type');
    if (typeof entry.schedule !== 'string') invalid('schedule', 'must be a cron expression string');
    const timezone = entry.timezone ?? 'UTC';
    let schedule: CronSchedule | undefined;
    try {
      schedule = new CronSchedule(entry.schedule, timezone);
    } catch (error) {
      invalid((error as Error).message.includes('time zone') ? 'timezone' : 'schedule', (error as Error).message);
    }
    try {
      validateJobSettings(entry.options ?? {}, { jobType: entry.jobType }, []);
    } catch (error) {
      invalid('options', (error as Error).message);
    }
    try {
      JSON.stringify(entry.payload ?? {});
    } catch (error) {
      invalid('payload', `must be JSON-serializable: ${(error as Error).message}`);
    }
    return { key: entry.key, schedule: schedule!, jobType: entry.jobType, payload: entry.payload ?? {}, options: entry.options ?? {} };
  });
}
