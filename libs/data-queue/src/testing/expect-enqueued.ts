import type { JobRecord } from '../core/job-record.js';
import type { JobStatus } from '../core/job-states.js';
import type { QueueService } from '../module/queue.service.js';

/**
 * What an enqueued job must look like. A field given must be equal (deep, for `payload` and
 * `tags`); a test framework's asymmetric matcher (`expect.objectContaining(…)` of Jest or Vitest)
 * is applied as such.
 */
export interface EnqueuedMatch {
  jobType?: string;
  queue?: string;
  payload?: unknown;
  tags?: unknown;
  priority?: unknown;
  batchId?: unknown;
  /** Default: pending (waiting to run, now or later). */
  status?: JobStatus | JobStatus[];
}

/** Jobs looked at, newest first: enough for a test, bounded for a big table. */
const LOOKED_AT = 1000;

/** Resolves to the newest matching job; rejects naming what was enqueued instead. */
export async function expectEnqueued(queue: QueueService, match: EnqueuedMatch): Promise<JobRecord> {
  const jobs = await candidates(queue, match);
  const found = jobs.find((job) => matches(job, match));
  if (found) return found;
  throw new Error(`expected a job matching ${describe(match)} to be enqueued; found ${list(jobs)}`);
}

/** Rejects if a job matching `match` is enqueued. */
export async function expectNotEnqueued(queue: QueueService, match: EnqueuedMatch): Promise<void> {
  const found = (await candidates(queue, match)).find((job) => matches(job, match));
  if (found)
    throw new Error(`expected no job matching ${describe(match)} to be enqueued; found job ${found.id}: ${describe(found.payload)}`);
}

async function candidates(queue: QueueService, { jobType, queue: queueName, status = 'pending' }: EnqueuedMatch): Promise<JobRecord[]> {
  return (await queue.listJobs({ jobType, queue: queueName, status, limit: LOOKED_AT })).jobs;
}

function matches(job: JobRecord, match: EnqueuedMatch): boolean {
  const fields = ['jobType', 'queue', 'payload', 'tags', 'priority', 'batchId'] as const;
  return fields.every((field) => match[field] === undefined || equals(match[field], job[field]));
}

interface AsymmetricMatcher {
  asymmetricMatch(other: unknown): boolean;
  /** How Jest and Vitest print a matcher (`ObjectContaining {…}`). */
  toAsymmetricMatcher?(): string;
}

function isAsymmetricMatcher(value: unknown): value is AsymmetricMatcher {
  return typeof (value as AsymmetricMatcher | null)?.asymmetricMatch === 'function';
}

/** Deep equality of JSON values, with asymmetric matchers anywhere in `expected`. */
function equals(expected: unknown, actual: unknown): boolean {
  if (isAsymmetricMatcher(expected)) return expected.asymmetricMatch(actual);
  if (expected === actual) return true;
  if (typeof expected !== 'object' || typeof actual !== 'object' || expected === null || actual === null) return false;
  if (Array.isArray(expected) !== Array.isArray(actual)) return false;
  const expectedKeys = Object.keys(expected);
  if (expectedKeys.length !== Object.keys(actual).length) return false;
  return expectedKeys.every((key) => equals((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key]));
}

function describe(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, inner: unknown) =>
        isAsymmetricMatcher(inner) ? (inner.toAsymmetricMatcher?.() ?? 'a matcher') : inner,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function list(jobs: JobRecord[]): string {
  if (jobs.length === 0) return 'none';
  const shown = jobs.slice(0, 10).map((job) => `${job.jobType} ${describe(job.payload)}`);
  return `${jobs.length}: ${shown.join('; ')}${jobs.length > 10 ? '; …' : ''}`;
}
