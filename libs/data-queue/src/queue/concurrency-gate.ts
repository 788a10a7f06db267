import { Inject, Injectable } from '@nestjs/common';
import { deriveKey } from '../core/concurrency-key.js';
import { hasEnqueueLimits, hasPerformLimits } from '../core/concurrency-rule.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { ConcurrencyKeyUnavailableError, ConcurrencyLimitError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { JobTypeCatalog } from '../handlers/job-type-catalog.js';
import type { PublishedRule } from '../handlers/job-type-settings.js';
import type { RunFence } from '../store/attempt-store.js';
import type { KeyCountsRow } from '../store/concurrency-store.js';
import type { NewJob } from '../store/job-row.js';
import type { QueueStore } from '../store/queue-store.js';

/** A rule that applies to a job, with the key it gave. */
export interface KeyedRule {
  rule: PublishedRule;
  key: string;
}

/** Longest throttle window kept in the event log. */
const MAX_WINDOW_MS = 86_400_000;

/**
 * Enforces `@JobHandler({ concurrency })` rules: enqueue-side limits inside the enqueue's
 * transaction, perform-side limits just before a claimed job starts — each under per-key
 * advisory locks (ConcurrencyStore, see store/sql/concurrency.sql.ts), so concurrent processes
 * cannot exceed a limit.
 */
@Injectable()
export class ConcurrencyGate {
  constructor(
    private readonly registry: HandlerRegistry,
    private readonly catalog: JobTypeCatalog,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
  ) {}

  /**
   * The keys a new job carries, under its type's rules as this app knows them (declared here, or
   * published). A rule whose key needs the handler's function fails the enqueue when it has
   * enqueue-side limits (they could not be checked); a perform-side rule is left to the worker,
   * which has the function.
   */
  keysFor(jobType: string, payload: unknown, tags: string[]): string[] {
    return this.keyedRules(jobType, this.enqueueRules(jobType), payload, tags).map(({ key }) => key);
  }

  needsEnqueueCheck(jobs: NewJob[]): boolean {
    return jobs.some((job) => job.concurrencyKeys.length > 0 && this.enqueueRules(job.jobType).some(hasEnqueueLimits));
  }

  /** Perform keys come from this worker's own rules, whichever process enqueued the job. */
  needsPerformCheck(job: JobRecord): boolean {
    return this.performRules(job.jobType).some(hasPerformLimits);
  }

  /**
   * Inside the enqueue's transaction: locks the jobs' keys, then lets each job in or not.
   * Returns, per job, null (insert it) or the existing job a skipped enqueue answers with;
   * throws ConcurrencyLimitError for a job a `reject` rule refuses.
   */
  async admitEnqueue(tx: QueueStore, jobs: NewJob[], payloads: unknown[]): Promise<(JobRecord | null)[]> {
    await tx.concurrency.lockKeys(jobs.flatMap((job) => job.concurrencyKeys));
    const admittedPerKey = new Map<string, number>();
    const throttledKeys: string[] = [];
    const decisions: (JobRecord | null)[] = [];
    for (const [index, job] of jobs.entries()) {
      let decision: JobRecord | null = null;
      const keyed = this.keyedRules(job.jobType, this.enqueueRules(job.jobType), payloads[index], job.tags);
      for (const { rule, key } of keyed.filter(({ rule }) => hasEnqueueLimits(rule))) {
        const counts = await this.counts(tx, key, '0', rule);
        const alreadyAdmitted = admittedPerKey.get(key) ?? 0;
        const exceeded = this.enqueueLimitExceeded(rule, counts, alreadyAdmitted);
        if (!exceeded) continue;
        if (rule.onEnqueueLimit !== 'skip') throw new ConcurrencyLimitError(job.jobType, key, exceeded);
        decision = await tx.concurrency.latestWithKey(key);
        if (decision) break;
        throw new ConcurrencyLimitError(job.jobType, key, exceeded);
      }
      decisions.push(decision);
      if (decision) continue;
      for (const { rule, key } of keyed) {
        admittedPerKey.set(key, (admittedPerKey.get(key) ?? 0) + 1);
        if (rule.enqueueThrottle) throttledKeys.push(key);
      }
    }
    if (throttledKeys.length > 0) await tx.concurrency.recordEvents(throttledKeys, 'enqueue', MAX_WINDOW_MS);
    return decisions;
  }

  /** The perform-side rules that apply to a claimed job, with their keys; throws what a key function throws. */
  performKeys(job: JobRecord): KeyedRule[] {
    const rules = this.performRules(job.jobType).filter(hasPerformLimits);
    return this.keyedRules(job.jobType, rules, job.payload, job.tags);
  }

  /**
   * Just before a claimed job runs: true to run it, recorded as running under its keys; false
   * when a perform limit is reached, in which case the job went back to pending (attempt not
   * used) and will be claimed again later, or when the attempt was fenced out meanwhile.
   */
  async admitPerform(store: QueueStore, job: JobRecord, fence: RunFence, rules: KeyedRule[]): Promise<boolean> {
    if (rules.length === 0) return true;
    return store.transaction(async (tx) => {
      await tx.concurrency.lockKeys(rules.map(({ key }) => key));
      for (const { rule, key } of rules) {
        const counts = await this.counts(tx, key, job.id, rule);
        const waitMs = this.performWaitMs(rule, counts);
        if (waitMs === null) continue;
        const reason = `concurrency limit of key "${key}"`;
        await tx.concurrency.defer(fence, waitMs, reason);
        return false;
      }
      const throttled = rules.filter(({ rule }) => rule.performThrottle).map(({ key }) => key);
      if (throttled.length > 0) await tx.concurrency.recordEvents(throttled, 'perform', MAX_WINDOW_MS);
      // false: the attempt was fenced out (cancelled meanwhile) and does not run
      return tx.concurrency.admit(
        fence,
        rules.map(({ key }) => key),
      );
    });
  }

  private enqueueLimitExceeded(rule: PublishedRule, counts: KeyCountsRow, admitted: number): string | null {
    const queued = counts.unfinished - counts.processing;
    if (rule.totalLimit !== undefined && counts.unfinished + admitted >= rule.totalLimit) return `totalLimit ${rule.totalLimit}`;
    if (rule.enqueueLimit !== undefined && queued + admitted >= rule.enqueueLimit) return `enqueueLimit ${rule.enqueueLimit}`;
    const [count, ms] = rule.enqueueThrottle ?? [];
    if (count !== undefined && counts.enqueued + admitted >= count) return `enqueueThrottle ${count} per ${ms} ms`;
    return null;
  }

  /** Null to run now; otherwise how long to wait before trying again. */
  private performWaitMs(rule: PublishedRule, counts: KeyCountsRow): number | null {
    const retryMs = Math.min(this.options.pollIntervalMs, 1000);
    if (rule.performLimit !== undefined && counts.running >= rule.performLimit) return jitter(retryMs);
    const [count, ms] = rule.performThrottle ?? [];
    if (count !== undefined && counts.performed >= count) {
      return Math.max(10, counts.perform_frees_in_ms ?? ms!) + jitter(20);
    }
    return null;
  }

  private async counts(tx: QueueStore, key: string, exceptJobId: string, rule: PublishedRule): Promise<KeyCountsRow> {
    return tx.concurrency.counts(key, exceptJobId, rule.enqueueThrottle?.[1] ?? 0, rule.performThrottle?.[1] ?? 0);
  }

  private keyedRules(jobType: string, rules: PublishedRule[], payload: unknown, tags: string[]): KeyedRule[] {
    return rules.flatMap((rule, index) => {
      if (rule.key === null) {
        if (hasEnqueueLimits(rule)) throw new ConcurrencyKeyUnavailableError(jobType, describeRule(rule, index));
        return [];
      }
      const key = deriveKey(rule.key, payload, { jobType, tags });
      return key === null ? [] : [{ rule, key }];
    });
  }

  /** What enqueues check: the type's rules as this app knows them. */
  private enqueueRules(jobType: string): PublishedRule[] {
    return this.catalog.get(jobType)?.concurrency ?? [];
  }

  /** What a worker checks before a start: its own handler's rules (it runs the job), never published ones. */
  private performRules(jobType: string): PublishedRule[] {
    return this.registry.get(jobType) ? (this.catalog.get(jobType)?.concurrency ?? []) : [];
  }
}

function describeRule(rule: PublishedRule, index: number): string {
  const limits = Object.entries(rule)
    .filter(([field]) => field !== 'key' && field !== 'onEnqueueLimit')
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the key, the one object, is filtered out above
    .map(([field, value]) => `${field} ${Array.isArray(value) ? value.join('/') : String(value)}`);
  return `concurrency[${index}] (${limits.join(', ')})`;
}

function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}
