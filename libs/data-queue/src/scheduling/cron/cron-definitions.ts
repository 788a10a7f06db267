import { CRON_JOB_OPTIONS, type CronEntryDefinition, type CronJobOptions } from '../../core/cron-entry.js';
import { DataQueueOptionsInvalidError, JobOptionsInvalidError } from '../../core/data-queue.errors.js';
import { validateJobSettings } from '../../core/job-settings.validation.js';
import { unstorableText } from '../../core/storable-text.js';
import { describeValue } from '../../core/value-description.js';
import type { RegisteredHandler } from '../../handlers/handler-registry.js';
import { CronSchedule } from './cron-schedule.js';

export interface ResolvedCronEntry {
  key: string;
  schedule: CronSchedule;
  jobType: string;
  payload: unknown;
  options: CronJobOptions;
}

/** Throws the caller's error for an invalid field of an entry (`schedule`, `options.priority`…). */
export type CronEntryInvalid = (field: string, detail: string) => never;

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
    const invalid: CronEntryInvalid = (field, detail) => {
      throw new DataQueueOptionsInvalidError(`cron[${name}]${field ? `.${field}` : ''}`, detail);
    };
    const resolved = resolveCronEntry(entry, invalid);
    if (seen.has(resolved.key)) invalid('key', 'is declared twice');
    seen.add(resolved.key);
    return resolved;
  });
}

/**
 * One entry's rules, the same for a declaration and for `upsertCron`: key, job type, schedule and
 * zone, the enqueue options a cron job may set, a JSON payload. `invalid` names the field.
 */
export function resolveCronEntry(entry: CronEntryDefinition, invalid: CronEntryInvalid): ResolvedCronEntry {
  if (typeof entry !== 'object' || entry === null) invalid('', `must be an object (got ${describeValue(entry)})`);
  const keyProblem = typeof entry.key === 'string' ? unstorableText(entry.key) : null;
  if (typeof entry.key !== 'string' || entry.key.length === 0 || entry.key.length > 255 || keyProblem) {
    invalid('key', keyProblem ?? 'must be a non-empty string of at most 255 characters');
  }
  if (typeof entry.jobType !== 'string' || entry.jobType.length === 0) invalid('jobType', 'must be a job type');
  if (typeof entry.schedule !== 'string') invalid('schedule', 'must be a cron expression string');
  const timezone = entry.timezone ?? 'UTC';
  if (typeof timezone !== 'string') invalid('timezone', 'must be an IANA time zone name');
  let schedule: CronSchedule | undefined;
  try {
    schedule = new CronSchedule(entry.schedule, timezone);
  } catch (error) {
    invalid((error as Error).message.includes('time zone') ? 'timezone' : 'schedule', (error as Error).message);
  }
  const options = entry.options ?? {};
  checkOptions(options, entry.jobType, invalid);
  try {
    JSON.stringify(entry.payload ?? {});
  } catch (error) {
    invalid('payload', `must be JSON-serializable: ${(error as Error).message}`);
  }
  return { key: entry.key, schedule: schedule, jobType: entry.jobType, payload: entry.payload ?? {}, options };
}

function checkOptions(options: unknown, jobType: string, invalid: CronEntryInvalid): asserts options is CronJobOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('options', `must be an object (got ${describeValue(options)})`);
  }
  const other = Object.keys(options).find((field) => !(CRON_JOB_OPTIONS as string[]).includes(field));
  if (other !== undefined) invalid(`options.${other}`, `is not an option of a cron job (${CRON_JOB_OPTIONS.join(', ')})`);
  try {
    validateJobSettings(options, { jobType }, []);
  } catch (error) {
    if (!(error instanceof JobOptionsInvalidError)) throw error;
    invalid(`options.${error.field}`, error.message);
  }
}
