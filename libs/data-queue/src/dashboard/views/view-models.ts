import type { BatchRecord } from '../../core/batch-record.js';
import type { CronEntryRecord } from '../../core/cron-entry.js';
import type { FailureReason, JobRecord } from '../../core/job-record.js';
import type { JobState } from '../../core/job-states.js';
import type { QueueFairKeys } from '../../store/gauge-store.js';
import type { LocaleCode } from '../i18n/locales.js';
import type { Translator } from '../i18n/translator.js';

/** What every page needs besides its own data. */
export interface PageContext {
  /** Where the dashboard is mounted, e.g. `/queue` (no trailing slash). */
  basePath: string;
  /** The request's path below basePath (e.g. `/jobs`) and query, to build locale/poll links. */
  path: string;
  query: Record<string, string>;
  i18n: Translator;
  locale: LocaleCode;
  title: string;
  /** Sent back in the `x-dataqueue-csrf` header of every action. */
  csrfToken: string;
  readOnly: boolean;
  /** Live refresh period in seconds when switched on. */
  pollSeconds: number;
  /** `?poll=N` asks for live refresh on, every N seconds. */
  pollRequested: boolean;
}

export interface OverviewModel {
  counts: Record<JobState, number>;
  queues: { queue: string; pending: number; processing: number; retrying: number; failed: number }[];
  /** One point per minute over `hours`, oldest first. */
  throughput: { minute: Date; completed: number; failed: number }[];
  hours: number;
  workersAlive: number;
}

export interface JobsFilter {
  state?: JobState;
  queue?: string;
  jobType?: string;
  tag?: string;
  batchId?: string;
  /** A job id, or text matched against job type and payload. */
  search?: string;
  cursor?: string;
}

export interface JobsPageModel {
  filter: JobsFilter;
  jobs: JobRecord[];
  nextCursor: string | null;
  /** Known values for the filter selects. */
  queues: string[];
  jobTypes: string[];
  /** The statement timeout that stopped the free-text search (the list is then empty), or null. */
  searchTimedOutAfterMs: number | null;
}

export interface AttemptView {
  attempt: number;
  startedAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  outcome: 'running' | 'completed' | 'failed';
  error: { name?: string; message: string; stack?: string; reason: FailureReason } | null;
}

export interface TimelineEvent {
  at: Date;
  /** Message key suffix: created, scheduled, started, failed, retried, cancelled, completed, deadLettered. */
  event: 'created' | 'started' | 'failed' | 'retried' | 'cancelled' | 'completed' | 'deadLettered';
  detail?: string;
}

export interface JobPageModel {
  job: JobRecord;
  state: JobState;
  attempts: AttemptView[];
  timeline: TimelineEvent[];
  batch: BatchRecord | null;
}

export type BatchState = 'running' | 'succeeded' | 'discarded' | 'finished';

export interface BatchesPageModel {
  state?: BatchState;
  batches: { batch: BatchRecord; state: BatchState }[];
  nextCursor: string | null;
}

export interface BatchPageModel {
  batch: BatchRecord;
  state: BatchState;
  callbackJobs: JobRecord[];
  jobs: JobRecord[];
  nextCursor: string | null;
  /** Made by `createFlow`: the batch page links to its flow page. */
  isFlow: boolean;
}

/** A step as the flow page lists and draws it. */
export interface FlowStepView {
  /** The step's job. */
  id: string;
  name: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
}

/** Step `jobId` runs after job `dependsOnId`: a step of the flow, or a job outside it (null state once deleted). */
export interface FlowLinkView {
  jobId: string;
  dependsOnId: string;
  dependsOnStep: boolean;
  dependencyState: JobState | null;
}

export interface FlowPageModel {
  batch: BatchRecord;
  state: BatchState;
  /** The first steps in id order (insertion order), at most `PAGE_BUDGET.flowSteps`. */
  steps: FlowStepView[];
  totalSteps: number;
  /** Every link between the steps, or null when the flow is past the graph's budget (then it is not drawn). */
  links: FlowLinkView[] | null;
}

export type PauseKind = 'queue' | 'jobType' | 'tag';

export interface QueuesPageModel {
  queues: {
    queue: string;
    /** Runnable now. */
    runnable: number;
    /** Pending with a future start. */
    scheduled: number;
    processing: number;
    /** Age of the oldest runnable job: how long work waits (null when none). */
    oldestRunnableMs: number | null;
    paused: boolean;
  }[];
  pauses: { kind: PauseKind; value: string; pausedAt: Date }[];
  /** The busiest fair keys of each queue with keyed work (see PAGE_BUDGET.fairKeysPerQueue). */
  fairKeys: QueueFairKeys[];
}

export interface WorkersPageModel {
  workers: {
    id: string;
    hostname: string;
    pid: number;
    queues: string;
    startedAt: Date;
    heartbeatAt: Date;
    running: { id: string; jobType: string; startedAt: Date | null }[];
  }[];
}

export interface CronPageModel {
  entries: CronEntryRecord[];
}
