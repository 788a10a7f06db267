import type { BackoffOptions } from './data-queue-options.js';
import { JobOptionsInvalidError } from './data-queue.errors.js';
import { MAX_DEPENDENCIES_PER_JOB, type CallerTransaction, type EnqueueOptions, type JobReference } from './enqueue-options.js';
import { fairKeyProblem, fairWeightProblem } from './fair-share.js';
import { isValidQueueName } from './queue-name.js';
import { STORABLE_DATE, storableDate } from './storable-date.js';
import { unstorableText } from './storable-text.js';
import { describeValue } from './value-description.js';

const INT32_MAX = 2_147_483_647;
const MAX_TAG_LENGTH = 128;
/** Tags label jobs for filtering; more than this is data, which belongs in the payload. */
export const MAX_TAGS_PER_JOB = 32;
const MAX_KEY_LENGTH = 512;

/** Where a bad value came from, for the error message. */
export interface SettingsContext {
  jobType?: string;
  index?: number;
}

/** Job types are names, not text: no spaces, quotes or markup. */
// eslint-disable-next-line no-useless-escape -- error messages print this pattern as written
export const JOB_TYPE = /^[A-Za-z0-9_.:\/-]{1,255}$/;

export function isValidJobType(jobType: unknown): jobType is string {
  return typeof jobType === 'string' && JOB_TYPE.test(jobType);
}

type Check = (value: unknown) => string | null;

const integer =
  (min: number, max: number): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
      ? null
      : `must be an integer from ${min} to ${max} (got ${describeValue(value)})`;

const number =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? null
      : `must be a number from ${min} to ${max} (got ${describeValue(value)})`;

const queueName: Check = (value) =>
  typeof value === 'string' && isValidQueueName(value)
    ? null
    : `must be 1-128 characters of letters, digits, _ . - (got ${describeValue(value)})`;

const text =
  (max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length > 0 && value.length <= max
      ? unstorableText(value)
      : `must be a non-empty string of at most ${max} characters (got ${describeValue(value)})`;

const tagList: Check = (value) => {
  if (!Array.isArray(value)) return `must be an array of strings (got ${describeValue(value)})`;
  if (value.length > MAX_TAGS_PER_JOB) return `must hold at most ${MAX_TAGS_PER_JOB} tags (got ${value.length})`;
  for (const [index, tag] of value.entries()) {
    const problem = text(MAX_TAG_LENGTH)(tag);
    if (problem) return `tags[${index}] ${problem}`;
  }
  return null;
};

const date: Check = (value) => (storableDate(value) ? null : `must be ${STORABLE_DATE} (got ${describeValue(value)})`);

/** Rules shared by enqueue options and `@JobHandler` options. */
const RULES: Record<string, Check> = {
  queue: queueName,
  priority: integer(-INT32_MAX, INT32_MAX),
  maxAttempts: integer(1, 1000),
  timeoutMs: integer(1, INT32_MAX),
  delayMs: integer(0, INT32_MAX),
  runAt: date,
  tags: tagList,
  idempotencyKey: text(MAX_KEY_LENGTH),
  deadLetterJobType: (value) =>
    typeof value === 'string' && isValidJobType(value) ? null : `must be a job type matching ${JOB_TYPE} (got ${describeValue(value)})`,
};

/** Ten years: a window longer than that is "for as long as the job exists", the default. */
const MAX_IDEMPOTENCY_WINDOW_MS = 315_360_000_000;

/** Enqueue-only options: how an idempotency key holds and what a duplicate does (see EnqueueOptions). */
const IDEMPOTENCY_RULES: Record<string, Check> = {
  idempotencyWindow: (value) =>
    value === 'unfinished' || integer(1, MAX_IDEMPOTENCY_WINDOW_MS)(value) === null
      ? null
      : `must be 'unfinished' or an integer from 1 to ${MAX_IDEMPOTENCY_WINDOW_MS} ms (got ${describeValue(value)})`,
  onDuplicate: (value) => (value === 'keep' || value === 'replace' ? null : `must be 'keep' or 'replace' (got ${describeValue(value)})`),
  debounceMs: integer(1, INT32_MAX),
};

export const IDEMPOTENCY_OPTIONS = Object.keys(IDEMPOTENCY_RULES);

/**
 * Throws `JobOptionsInvalidError` for the first idempotency option that breaks its rule, or that
 * makes no sense with the others (the SQL function `<schema>.enqueue` applies the same rules).
 */
export function validateIdempotencyOptions(options: EnqueueOptions, context: SettingsContext): void {
  const fail = (field: string, problem: string) => {
    throw new JobOptionsInvalidError(field, problem, context.jobType, context.index);
  };
  for (const [field, rule] of Object.entries(IDEMPOTENCY_RULES)) {
    const value: unknown = options[field as keyof EnqueueOptions];
    const problem = value === undefined ? null : rule(value);
    if (problem) fail(field, problem);
  }
  if (options.debounceMs !== undefined) {
    if (options.runAt !== undefined || options.delayMs !== undefined) {
      fail('debounceMs', 'sets the start itself: give debounceMs or runAt/delayMs, not both');
    }
    if (options.onDuplicate === 'keep') fail('debounceMs', "replaces the pending job, which onDuplicate 'keep' forbids");
  }
  if (options.idempotencyKey === undefined) {
    const needless = IDEMPOTENCY_OPTIONS.find((field) => options[field as keyof EnqueueOptions] !== undefined);
    if (needless) fail(needless, 'needs an idempotencyKey');
  }
}

/** Enqueue-only options of fair share (the handler's option is `fairShare`). */
export const FAIR_SHARE_OPTIONS = ['fairKey', 'fairWeight'];

/** Throws `JobOptionsInvalidError` for a `fairKey` or `fairWeight` that breaks its rule. */
export function validateFairShareOptions(options: EnqueueOptions, context: SettingsContext): void {
  const { fairKey, fairWeight } = options as { fairKey?: unknown; fairWeight?: unknown };
  const problem = fairKey === undefined ? null : (fairKeyProblem(fairKey) ?? unstorableText(fairKey as string));
  if (problem) throw new JobOptionsInvalidError('fairKey', problem, context.jobType, context.index);
  const weightProblem = fairWeight === undefined ? null : fairWeightProblem(fairWeight);
  if (weightProblem) throw new JobOptionsInvalidError('fairWeight', weightProblem, context.jobType, context.index);
}

export const DEPENDENCY_OPTIONS = ['dependsOn', 'onDependencyFailure'];

/**
 * Checks `dependsOn` and `onDependencyFailure` (JobOptionsInvalidError naming the field, e.g.
 * `dependsOn[2]`) and returns the dependencies as ids or keys, in the given order (the insert
 * names an unknown one by its index, and drops repeats once it has resolved them).
 */
export function validateDependencyOptions(options: EnqueueOptions, context: SettingsContext): JobReference[] {
  const fail = (field: string, problem: string): never => {
    throw new JobOptionsInvalidError(field, problem, context.jobType, context.index);
  };
  const { dependsOn, onDependencyFailure } = options as { dependsOn?: unknown; onDependencyFailure?: unknown };
  if (onDependencyFailure !== undefined && !['cancel', 'fail', 'run'].includes(onDependencyFailure as string)) {
    fail('onDependencyFailure', `must be 'cancel', 'fail' or 'run' (got ${describeValue(onDependencyFailure)})`);
  }
  if (dependsOn === undefined) {
    if (onDependencyFailure !== undefined) fail('onDependencyFailure', 'needs dependsOn');
    return [];
  }
  if (!Array.isArray(dependsOn))
    return fail('dependsOn', `must be an array of job ids or { idempotencyKey } (got ${describeValue(dependsOn)})`);
  if (dependsOn.length > MAX_DEPENDENCIES_PER_JOB) {
    fail('dependsOn', `has ${dependsOn.length} dependencies; at most ${MAX_DEPENDENCIES_PER_JOB} are allowed`);
  }
  return Array.from(dependsOn as unknown[], (ref, i): JobReference => {
    const field = `dependsOn[${i}]`;
    if (typeof ref === 'string' || typeof ref === 'number') {
      const id = String(ref);
      if (!/^[1-9]\d{0,17}$/.test(id)) fail(field, `must be a job id (got ${describeValue(ref)})`);
      return { id };
    }
    const key = (ref as { idempotencyKey?: unknown } | null)?.idempotencyKey;
    if (typeof ref !== 'object' || ref === null || Object.keys(ref).length !== 1 || text(MAX_KEY_LENGTH)(key) !== null) {
      fail(field, `must be a job id or { idempotencyKey: string } (got ${describeValue(ref)})`);
    }
    if (key === options.idempotencyKey) fail(field, `is this job's own idempotency key: a job may not depend on itself`);
    return { idempotencyKey: key as string };
  });
}

const BACKOFF_RULES: Record<keyof BackoffOptions, Check> = {
  baseMs: integer(0, INT32_MAX),
  factor: number(1, 100),
  maxMs: integer(0, INT32_MAX),
  jitter: number(0, 1),
};

/** Throws `JobOptionsInvalidError` for the first option that breaks its rule; unknown keys included. */
export function validateJobSettings(settings: object, context: SettingsContext, extraKeys: string[] = []): void {
  for (const [field, value] of Object.entries(settings)) {
    if (value === undefined || extraKeys.includes(field)) continue;
    const rule = Object.hasOwn(RULES, field) ? RULES[field] : undefined;
    const problem = rule ? rule(value) : `is not a known option`;
    if (problem) throw new JobOptionsInvalidError(field, problem, context.jobType, context.index);
  }
  const { runAt, delayMs } = settings as EnqueueOptions;
  if (runAt !== undefined && delayMs !== undefined) {
    throw new JobOptionsInvalidError('runAt', 'give runAt or delayMs, not both', context.jobType, context.index);
  }
}

/** The transaction an enqueue joins: at most one, and a `pg` client must be one. */
export function validateCallerTransaction({ manager, client }: CallerTransaction): void {
  if (manager !== undefined && client !== undefined) throw new JobOptionsInvalidError('client', 'give manager or client, not both');
  if (client !== undefined && typeof (client as { query?: unknown } | null)?.query !== 'function') {
    throw new JobOptionsInvalidError('client', `must be a pg Client or PoolClient (got ${describeValue(client)})`);
  }
}

export function validateBackoff(backoff: unknown, context: SettingsContext): void {
  if (typeof backoff !== 'object' || backoff === null) {
    throw new JobOptionsInvalidError('backoff', `must be an object (got ${describeValue(backoff)})`, context.jobType);
  }
  for (const [field, value] of Object.entries(backoff)) {
    const rule = Object.hasOwn(BACKOFF_RULES, field) ? BACKOFF_RULES[field as keyof BackoffOptions] : undefined;
    const problem = rule ? rule(value) : 'is not a known option';
    if (problem && value !== undefined) throw new JobOptionsInvalidError(`backoff.${field}`, problem, context.jobType);
  }
}
