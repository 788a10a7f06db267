import type { JobRecord } from '../core/job-record.js';
import type { JobBucket } from '../core/job-states.js';
import type { Notifier } from './notifier.js';
import type { SqlExecutor } from './sql/executor.js';

/** A job that changed bucket: `from: null` was just created, `to: null` was deleted. */
export interface JobMove {
  job: JobRecord;
  from: JobBucket | null;
  to: JobBucket | null;
}

/** What a statement that moves jobs returns: its answer, and the moves to announce. */
export interface Moved<T> {
  result: T;
  moves: JobMove[];
}

/**
 * How a store's statements that change jobs' states reach the transition listeners (see
 * QueueStore): the statement runs inside `run`'s transaction, and every listener sees its moves
 * in that same transaction, before it commits.
 */
export interface JobMoves {
  /** Whether any listener follows these moves: if none does, a write may skip the transaction. */
  concern(moves: JobMove[]): boolean;
  /** Runs `work` in one transaction (the current one, if any) and announces the moves it returns inside it. */
  run<T>(work: (db: SqlExecutor, notifier: Notifier) => Promise<Moved<T>>): Promise<T>;
}

/** The moves of jobs that all went `from` → `to`. */
export function movesOf(jobs: JobRecord[], from: JobBucket | null, to: JobBucket | null): JobMove[] {
  return jobs.map((job) => ({ job, from, to }));
}
