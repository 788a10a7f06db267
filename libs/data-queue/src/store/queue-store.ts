import type { Pool } from 'pg';
import { hasCallerTransaction, type CallerTransaction } from '../core/enqueue-options.js';
import { AttemptStore, attemptStatements } from './attempt-store.js';
import { BatchStore, batchStatements } from './batch-store.js';
import { ConcurrencyStore, concurrencyStatements } from './concurrency-store.js';
import { CronStore, cronStatements } from './cron-store.js';
import { DependencyStore, dependencyStatements } from './dependency-store.js';
import { EventSubscriptionStore, eventSubscriptionStatements } from './event-subscription-store.js';
import { FlowStore, flowStatements } from './flow-store.js';
import { GaugeStore, gaugeStatements } from './gauge-store.js';
import { InsertStore, insertStatements } from './insert-store.js';
import type { JobMove, JobMoves, Moved } from './job-moves.js';
import { JobStore, jobStatements } from './job-store.js';
import { JobTypeStore, jobTypeStatements } from './job-type-store.js';
import { Notifier, channelsOf, type Channels } from './notifier.js';
import { PauseStore, pauseStatements } from './pause-store.js';
import { RetentionStore, retentionStatements } from './retention-store.js';
import { inTransaction, managerExecutor, pgExecutor, type PgExecutorOptions, type SqlExecutor } from './sql/executor.js';
import { quoteIdent } from './sql/identifiers.js';
import { WorkerStore, workerStatements } from './worker-store.js';

/**
 * Follows changes of jobs' states inside the transaction that makes them: batch counters and
 * callbacks, dead letters, job dependencies. Subscribe with `JobTransitions.subscribe`.
 */
export interface JobTransitionListener {
  /**
   * The rows it locks beyond the moved jobs'. Listeners locking job rows run before those locking
   * batch rows, so every path takes job rows first and batch rows last, as the completion
   * statements that settle dependents and batches together do (no lock-order deadlock).
   */
  readonly locks: 'jobs' | 'batches';
  /** Whether this listener acts on the move; only such moves reach `jobsMoved`. */
  follows(move: JobMove): boolean;
  /** Runs in the transaction that moved the jobs, so its writes commit or roll back with them. */
  jobsMoved(tx: QueueStore, moves: JobMove[]): Promise<void>;
}

/**
 * The one place job moves are announced. Every store statement that changes a job's bucket
 * (fail, complete, cancel, retry, delete, reap, and the batch-wide cancel and retry) goes through
 * it, so no caller has to remember who else must hear of it. Creating jobs is not a move: the
 * insert routes count new jobs in themselves (a batch add arms the batch in the same statement).
 */
export class JobTransitions {
  private readonly listeners: JobTransitionListener[] = [];

  subscribe(listener: JobTransitionListener): void {
    this.listeners.push(listener);
    this.listeners.sort((a, b) => Number(a.locks === 'batches') - Number(b.locks === 'batches'));
  }

  concern(moves: JobMove[]): boolean {
    return moves.some((move) => move.from !== move.to && this.listeners.some((listener) => listener.follows(move)));
  }

  async announce(tx: QueueStore, moves: JobMove[]): Promise<void> {
    const real = moves.filter((move) => move.from !== move.to);
    for (const listener of this.listeners) {
      const followed = real.filter((move) => listener.follows(move));
      if (followed.length > 0) await listener.jobsMoved(tx, followed);
    }
  }
}

type Statements = ReturnType<typeof buildStatements>;

function buildStatements(schema: string) {
  const s = quoteIdent(schema);
  return {
    channels: channelsOf(schema),
    inserts: insertStatements(s),
    attempts: attemptStatements(s),
    jobs: jobStatements(s),
    dependencies: dependencyStatements(s),
    flows: flowStatements(s),
    workers: workerStatements(s),
    batches: batchStatements(s),
    concurrency: concurrencyStatements(s),
    jobTypes: jobTypeStatements(s),
    pauses: pauseStatements(s),
    cron: cronStatements(s),
    retention: retentionStatements(s),
    gauges: gaugeStatements(s),
    eventSubscriptions: eventSubscriptionStatements(s),
  };
}

interface StoreSettings {
  /** The schema's name, also the namespace of its advisory locks. */
  schema: string;
  statements: Statements;
  transitions: JobTransitions;
  /** Attempts of the callback jobs batches enqueue. */
  callbackMaxAttempts: number;
  /** Whether hot-path statements are prepared (see PgExecutorOptions). */
  prepared: boolean;
}

/**
 * Every statement DataQueue runs against its tables, for one schema, on one connection source:
 * the pool, one transaction, or (through `joining`) a caller's transaction. The stores by
 * role share that connection; `./sql` explains each statement's shape.
 */
export class QueueStore {
  readonly notifier: Notifier;
  readonly inserts: InsertStore;
  readonly attempts: AttemptStore;
  readonly jobs: JobStore;
  readonly dependencies: DependencyStore;
  readonly flows: FlowStore;
  readonly workers: WorkerStore;
  readonly batches: BatchStore;
  readonly concurrency: ConcurrencyStore;
  readonly jobTypes: JobTypeStore;
  readonly pauses: PauseStore;
  readonly cron: CronStore;
  readonly retention: RetentionStore;
  readonly gauges: GaugeStore;
  readonly eventSubscriptions: EventSubscriptionStore;

  private constructor(
    private readonly settings: StoreSettings,
    /** The connection source this store runs on. */
    readonly db: SqlExecutor,
    /** Opens a transaction on the pool; null when this store is on one already (its own or a caller's). */
    private readonly transact: (<T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>) | null,
    /** On a transaction of its own: what runs once it commits (see afterCommit); null otherwise. */
    private readonly commitHooks: (() => void)[] | null = null,
  ) {
    const { statements: sql, schema, callbackMaxAttempts } = settings;
    const moves: JobMoves = { concern: (m) => settings.transitions.concern(m), run: (work) => this.moveJobs(work) };
    const wake = sql.channels.wake;
    this.notifier = new Notifier(db, sql.channels);
    this.inserts = new InsertStore(db, sql.inserts, wake);
    this.attempts = new AttemptStore(db, sql.attempts, moves, wake, callbackMaxAttempts);
    this.jobs = new JobStore(db, sql.jobs, moves, this.notifier);
    this.dependencies = new DependencyStore(sql.dependencies, moves, wake);
    this.flows = new FlowStore(db, sql.flows);
    this.workers = new WorkerStore(db, sql.workers, moves);
    this.batches = new BatchStore(db, sql.batches, moves, wake, callbackMaxAttempts);
    this.concurrency = new ConcurrencyStore(db, sql.concurrency, schema);
    this.jobTypes = new JobTypeStore(db, sql.jobTypes);
    this.pauses = new PauseStore(db, sql.pauses, wake);
    this.cron = new CronStore(db, sql.cron, sql.channels.cron);
    this.retention = new RetentionStore(db, sql.retention, schema);
    this.gauges = new GaugeStore(db, sql.gauges);
    this.eventSubscriptions = new EventSubscriptionStore(db, sql.eventSubscriptions, sql.channels);
  }

  static forPool(
    schema: string,
    pool: Pool,
    options: PgExecutorOptions & { transitions: JobTransitions; callbackMaxAttempts: number },
  ): QueueStore {
    const settings = {
      schema,
      statements: buildStatements(schema),
      transitions: options.transitions,
      callbackMaxAttempts: options.callbackMaxAttempts,
      prepared: options.prepared ?? true,
    };
    return new QueueStore(settings, pgExecutor(pool, options), (work) => inTransaction(pool, work, options));
  }

  get channels(): Channels {
    return this.settings.statements.channels;
  }

  /**
   * The same store on the connection of a caller's transaction, when there is one (already
   * atomic: `transaction` just runs); this store otherwise.
   */
  joining(caller: CallerTransaction = {}): QueueStore {
    if (!hasCallerTransaction(caller)) return this;
    const db = caller.manager ? managerExecutor(caller.manager) : pgExecutor(caller.client!, { prepared: this.settings.prepared });
    return new QueueStore(this.settings, db, null);
  }

  /** Runs `work` with a store whose statements share one transaction (this one, if it is one already). */
  async transaction<T>(work: (tx: QueueStore) => Promise<T>): Promise<T> {
    if (!this.transact) return work(this);
    const hooks: (() => void)[] = [];
    const result = await this.transact((db) => work(new QueueStore(this.settings, db, null, hooks)));
    for (const hook of hooks) hook();
    return result;
  }

  /**
   * Runs `hook` once what this store wrote is committed: after its transaction commits, or at once
   * on the pool (each statement commits by itself). Never on a caller's transaction, whose commit
   * DataQueue does not see; nor after a rollback.
   */
  afterCommit(hook: () => void): void {
    if (this.commitHooks) this.commitHooks.push(hook);
    else if (this.transact) hook();
  }

  private moveJobs<T>(work: (db: SqlExecutor, notifier: Notifier) => Promise<Moved<T>>): Promise<T> {
    return this.transaction(async (tx) => {
      const { result, moves } = await work(tx.db, tx.notifier);
      await this.settings.transitions.announce(tx, moves);
      return result;
    });
  }
}
