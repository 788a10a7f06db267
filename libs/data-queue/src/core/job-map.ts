import type { JobToEnqueue } from './enqueue-options.js';

/**
 * The payload of each job type, for compile-time checks. Empty: every job type name and payload
 * is accepted, as without it. An app declares its jobs by augmenting it, once, anywhere:
 *
 * ```ts
 * declare module '@dataqueue/nestjs' {
 *   interface DataQueueJobs {
 *     'send-email': SendEmailDto;
 *   }
 * }
 * ```
 *
 * Then `enqueue`, `enqueueMany` and a batch's `add` / `enqueue` check each payload against its
 * job type's, and a job type the map does not name does not compile.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- apps augment it
export interface DataQueueJobs {}

/** The job types the app declared (none: `never`). */
export type DeclaredJobType = Extract<keyof DataQueueJobs, string>;

/** Any string until the app declares its jobs; then nothing beyond them. */
export type UndeclaredJobType = [DeclaredJobType] extends [never] ? string : never;

/** One job of `enqueueMany` or a batch: once the app declares its jobs, its payload must match its job type's. */
export type EnqueueableJob = [DeclaredJobType] extends [never]
  ? JobToEnqueue
  : { [T in DeclaredJobType]: JobToEnqueue<DataQueueJobs[T]> & { jobType: T } }[DeclaredJobType];
