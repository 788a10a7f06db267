import { createHash } from 'node:crypto';
import type { BatchRecord } from '../core/batch-record.js';
import type { JobErrorEntry, JobRecord } from '../core/job-record.js';
import { FAILED_FOR_GOOD, type JobStatus } from '../core/job-states.js';
import { batchRowFromJson, toBatchRecord } from './batch-row.js';
import { movesOf, type JobMove, type JobMoves } from './job-moves.js';
import { toJobRecord, type JobRow, type TraceCarrier } from './job-row.js';
import { completeBatchJobsSql } from './sql/batches.sql.js';
import {
  bringForwardSql,
  claimFairJobsSql,
  claimJobByIdSql,
  claimJobsSql,
  claimPairJobsSql,
  type QueueSelector,
} from './sql/claim-jobs.sql.js';
import type { SqlExecutor } from './sql/executor.js';
import {
  completeJobsSql,
  failJobSql,
  handBackJobSql,
  releaseJobsSql,
  saveStepsSql,
  setOutputSql,
  setProgressSql,
  startWaitSql,
} from './sql/finish-job.sql.js';
import { lostRunsSql } from './sql/lost-runs.sql.js';

/** A claimed attempt: the job, its batch when it belongs to (or calls back for) one, and its durable state. */
export interface ClaimedJob {
  job: JobRecord;
  batch: BatchRecord | null;
  /** Memoized `ctx.step` results and resolved waits. */
  steps: StepResults;
  /** The wait the job resumes from, if it was waiting. */
  resumedWait: StoredWait | null;
  /** The OpenTelemetry context the job was enqueued in. */
  traceContext: TraceCarrier | null;
}

type ClaimedJobRow = JobRow & {
  /** The job's batch (or the batch it calls back for). */
  batch_ref: string | null;
  /** That batch's row, on the first of its jobs in a claim. */
  batch_json: Record<string, unknown> | null;
  steps: StepResults;
  wait: StoredWait | null;
  trace_context: TraceCarrier | null;
};

/** A row of a claim of one line (claimLineSql): every row carries `waiting`. */
type ClaimedLineRow = ClaimedJobRow & { waiting: boolean };

/** A claim's answer: the claimed jobs, and whether keyed (fair-share) work is runnable in the pool's queues. */
export interface ClaimResult {
  jobs: ClaimedJob[];
  keyedWaiting: boolean;
}

/** A pair (queue, fair key) of fair share; the default key is ('', ''). */
export interface FairPair {
  queue: string;
  fairKey: string;
}

/** A pair with the weight of its jobs. */
export type WeightedPair = FairPair & { weight: number };

/**
 * Which keyed pairs a fair claim looks at: a `lap` finds them in the index, up to `size` from
 * after `cursor` (null: from the first); `known` takes the pairs the pool already knows.
 */
export type FairWindow = { kind: 'lap'; size: number; cursor: FairPair | null } | { kind: 'known'; pairs: WeightedPair[] };

/** What a fair claim needs of its pool's state (see claimFairJobsSql). */
export interface FairClaimInput {
  virtualTime: number;
  /** Where each pair's last claimed job left it. */
  finishTags: (FairPair & { finish: number })[];
  window: FairWindow;
}

/** The statements that claim keyed work: a fair claim of either window, or a lone pair's claim. */
type KeyedClaimKind = FairWindow['kind'] | 'pair';

/** A fair claim's answer: the claimed jobs, and what moves the pool's state. */
export interface FairClaimResult extends ClaimResult {
  /** Each pair that had a claimable job, with the tag of the last job claimed from it (none: null). */
  pairs: (WeightedPair & { lastTag: number | null })[];
  /** A pair read all it was allowed: claiming again at once may find more. */
  moreWaiting: boolean;
  /** The last pair of a full lap window, where the next lap starts; null: from the first. */
  nextCursor: FairPair | null;
}

type FairClaimedRow = ClaimedJobRow & {
  /** On the first row only. */
  fair_summary: {
    keyedWaiting: boolean;
    moreWaiting: boolean;
    nextCursor: [queue: string, fairKey: string] | null;
    pairs: [queue: string, fairKey: string, weight: number, lastTag: number | null][];
  } | null;
};

/** Claimed rows as jobs (the row of NULLs of an empty claim is none); jobs of one batch share the batch row read once. */
function toClaimedJobs(rows: ClaimedJobRow[]): ClaimedJob[] {
  const batches = new Map<string, BatchRecord>();
  for (const row of rows) if (row.batch_ref && row.batch_json) batches.set(row.batch_ref, toBatchRecord(batchRowFromJson(row.batch_json)));
  return rows
    .filter((row) => row.id !== null)
    .map((row) => ({
      job: toJobRecord(row),
      batch: (row.batch_ref && batches.get(row.batch_ref)) || null,
      steps: row.steps ?? {},
      resumedWait: row.wait,
      traceContext: row.trace_context,
    }));
}

/** `ctx.step` results and waits already over, by step id. */
export type StepResults = Record<string, { value?: unknown; data?: unknown; timedOut?: boolean }>;

/** A wait as stored on the job; `completed`/`data` are added by `completeToken`. */
export interface StoredWait {
  id: string;
  kind: 'timer' | 'until' | 'token';
  token?: string;
  completed?: boolean;
  data?: unknown;
}

/** A wait a handler asked for (the attempt ends, the job goes `waiting`). */
export type PendingWait =
  | { id: string; kind: 'timer'; ms: number }
  | { id: string; kind: 'until'; until: Date }
  | { id: string; kind: 'token'; token: string; timeoutMs: number | null };

/** A successful attempt to record: `outputJson` null keeps what `ctx.setOutput` stored. */
export interface Completion {
  job: JobRecord;
  attempt: number;
  outputJson: string | null;
}

/** The completion of the attempt `fence` identifies. */
export function completionOf(job: JobRecord, fence: RunFence, outputJson: string | null): Completion {
  return { job, attempt: fence.attempt, outputJson };
}

/**
 * The moves of completions as the transition listeners would see them, apart from the release
 * of dependents, which the completion statements make themselves.
 */
function completedMoves(completions: Completion[]): JobMove[] {
  const jobs = completions.map((c) => (c.job.hasDependents ? { ...c.job, hasDependents: false } : c.job));
  return movesOf(jobs, 'pending', 'succeeded');
}

/** Identifies one attempt of one job: the fence every write of that attempt carries. */
export interface RunFence {
  jobId: string;
  workerId: string;
  attempt: number;
}

/** An attempt a worker still runs although its job moved on; `status` is the job's now, null once deleted. */
export interface LostRun {
  jobId: string;
  attempt: number;
  status: JobStatus | null;
}

export function attemptStatements(s: string) {
  return {
    claim: (selector: QueueSelector) => claimJobsSql(s, selector),
    claimFair: (selector: QueueSelector, window: FairWindow['kind']) => claimFairJobsSql(s, selector, window),
    claimPair: (selector: QueueSelector) => claimPairJobsSql(s, selector),
    claimById: claimJobByIdSql(s),
    bringForward: bringForwardSql(s),
    complete: completeJobsSql(s, 'plain'),
    completeReleasing: completeJobsSql(s, 'releasing'),
    completeFollowed: completeJobsSql(s, 'followed'),
    completeBatchJobs: completeBatchJobsSql(s, 'plain'),
    completeBatchJobsReleasing: completeBatchJobsSql(s, 'releasing'),
    fail: failJobSql(s),
    handBack: handBackJobSql(s),
    release: releaseJobsSql(s),
    setProgress: setProgressSql(s),
    setOutput: setOutputSql(s),
    saveSteps: saveStepsSql(s),
    startWait: startWaitSql(s),
    lostRuns: lostRunsSql(s),
  };
}

/**
 * One attempt's life: claiming jobs, the writes a running handler makes, and how the attempt
 * ends. Every write after the claim carries the attempt's fence (`RunFence`).
 */
export class AttemptStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof attemptStatements>,
    private readonly moves: JobMoves,
    private readonly wakeChannel: string,
    /** Attempts of the callback jobs a finishing batch enqueues. */
    private readonly callbackMaxAttempts: number,
  ) {}

  /** Each pool's claim statements of keyed work, by its (long-lived) selector. */
  private readonly keyedClaims = new WeakMap<QueueSelector, Map<KeyedClaimKind, { text: string; name: string }>>();

  /** Claims one specific runnable job (inline mode runs the job it just inserted). */
  async claimById(jobId: string, workerId: string): Promise<ClaimedJob | null> {
    const [claimed] = toClaimedJobs(await this.db.rows<ClaimedJobRow>(this.sql.claimById, [jobId, workerId]));
    return claimed ?? null;
  }

  /** Claims up to `limit` runnable jobs of the default fair key, by priority, then due time, then id. */
  async claim(workerId: string, selector: QueueSelector, limit: number): Promise<ClaimResult> {
    const rows = await this.db.rows<ClaimedLineRow>(
      this.sql.claim(selector),
      [selector.queues, workerId, limit],
      `${this.wakeChannel}_claim_${selector.kind}_${selector.queues.length === 1 ? 'one' : 'many'}`,
    );
    return { jobs: toClaimedJobs(rows), keyedWaiting: rows[0].waiting };
  }

  /** Claims up to `limit` jobs across the fair keys of the pool's queues (see claimFairJobsSql). */
  async claimFair(workerId: string, selector: QueueSelector, limit: number, fair: FairClaimInput): Promise<FairClaimResult> {
    const { window } = fair;
    const known = fair.finishTags;
    const statement = this.keyedClaimStatement(selector, window.kind);
    // The lap's size and cursor, or the known pairs (see claimFairJobsSql).
    const [$1, $8, $9] =
      window.kind === 'lap'
        ? [window.size, window.cursor?.queue ?? '', window.cursor?.fairKey ?? '']
        : [window.pairs.map((pair) => pair.queue), window.pairs.map((pair) => pair.fairKey), window.pairs.map((pair) => pair.weight)];
    const rows = await this.db.rows<FairClaimedRow>(
      statement.text,
      [
        $1,
        workerId,
        limit,
        fair.virtualTime,
        known.map((pair) => pair.queue),
        known.map((pair) => pair.fairKey),
        known.map((pair) => pair.finish),
        $8,
        $9,
      ],
      statement.name,
    );
    const summary = rows[0].fair_summary!;
    return {
      jobs: toClaimedJobs(rows),
      keyedWaiting: summary.keyedWaiting,
      pairs: summary.pairs.map(([queue, fairKey, weight, lastTag]) => ({ queue, fairKey, weight, lastTag })),
      moreWaiting: summary.moreWaiting,
      nextCursor: summary.nextCursor && { queue: summary.nextCursor[0], fairKey: summary.nextCursor[1] },
    };
  }

  /**
   * Claims up to `limit` jobs from the line of `pair`, the one pair the pool knows to have keyed
   * work (see claimPairJobsSql); says whether default-key jobs are waiting in the pool's queues.
   */
  async claimPair(
    workerId: string,
    selector: QueueSelector,
    limit: number,
    pair: FairPair,
  ): Promise<{ jobs: ClaimedJob[]; defaultWaiting: boolean }> {
    const statement = this.keyedClaimStatement(selector, 'pair');
    const rows = await this.db.rows<ClaimedLineRow>(statement.text, [pair.queue, workerId, limit, pair.fairKey], statement.name);
    return { jobs: toClaimedJobs(rows), defaultWaiting: rows[0].waiting };
  }

  /**
   * The pool's claims of keyed work, each built and named once: its queues are written into their
   * text, so each queue list has prepared statements of its own.
   */
  private keyedClaimStatement(selector: QueueSelector, kind: KeyedClaimKind): { text: string; name: string } {
    let statements = this.keyedClaims.get(selector);
    if (!statements) {
      statements = new Map();
      this.keyedClaims.set(selector, statements);
    }
    let statement = statements.get(kind);
    if (!statement) {
      const id = createHash('sha1')
        .update(`${selector.kind}:${selector.queues.join(',')}`)
        .digest('hex')
        .slice(0, 16);
      const text = kind === 'pair' ? this.sql.claimPair(selector) : this.sql.claimFair(selector, kind);
      statement = { text, name: `${this.wakeChannel}_claim_${kind}_${id}` };
      statements.set(kind, statement);
    }
    return statement;
  }

  /** Tests' clock: jobs of `queue` (null: all) runnable by `until` become runnable now (see bringForwardSql). */
  async bringForward(queue: string | null, until: Date | 'infinity'): Promise<number> {
    const [row] = await this.db.rows<{ moved: number }>(this.sql.bringForward, [queue, until]);
    return row.moved;
  }

  /**
   * Completes attempts of `workerId`; returns the ids whose fence held. Jobs of a batch come ONE
   * batch per call (see CompletionBatcher): their statement also moves the batch's counters
   * (completeBatchJobsSql), the hot path of batch jobs, so the batch row is locked once per
   * flush and never across a round trip. Other completions skip the transaction when no
   * transition listener follows them. When a claimed job has dependents, both statements
   * release them too (the `releasing` form); else they leave out jobs with dependents (`plain`).
   * What either leaves out (see CompletionForm) is completed in a transaction that announces it.
   */
  async complete(workerId: string, completions: Completion[]): Promise<Set<string>> {
    const params = (some: Completion[]) => [some.map((c) => c.job.id), workerId, some.map((c) => c.attempt), some.map((c) => c.outputJson)];
    const releasing = completions.some((c) => c.job.hasDependents);
    let completed = new Set<string>();
    if (completions[0]?.job.batchId) {
      const rows = await this.db.rows<{ id: string }>(
        releasing ? this.sql.completeBatchJobsReleasing : this.sql.completeBatchJobs,
        [...params(completions), this.callbackMaxAttempts, this.wakeChannel],
        `${this.wakeChannel}_complete_batch_jobs${releasing ? '_releasing' : ''}`,
      );
      completed = new Set(rows.map((row) => row.id));
    } else if (!this.moves.concern(completedMoves(completions))) {
      const rows = releasing
        ? await this.db.rows<{ id: string }>(
            this.sql.completeReleasing,
            [...params(completions), this.wakeChannel],
            `${this.wakeChannel}_complete_releasing`,
          )
        : await this.db.rows<{ id: string }>(this.sql.complete, params(completions), `${this.wakeChannel}_complete`);
      completed = new Set(rows.map((row) => row.id));
    }
    const rest = completions.filter((c) => !completed.has(c.job.id));
    if (rest.length === 0) return completed;
    return this.moves.run(async (db) => {
      const rows = await db.rows<{ id: string; has_dependents: boolean }>(this.sql.completeFollowed, params(rest));
      const done = new Map(rows.map((row) => [row.id, row.has_dependents]));
      const moves = rest
        .filter((c) => done.has(c.job.id))
        .map((c) => ({ job: { ...c.job, hasDependents: done.get(c.job.id)! }, from: 'pending' as const, to: 'succeeded' as const }));
      return { result: new Set([...completed, ...done.keys()]), moves };
    });
  }

  /**
   * Records a failed attempt; null when the fence failed. The row tells whether it will retry;
   * a final failure is announced to the transition listeners (dead letter, batch) in the same
   * transaction.
   */
  async fail(run: RunFence, entry: Omit<JobErrorEntry, 'timestamp'>, retryDelayMs: number): Promise<JobRecord | null> {
    return this.moves.run(async (db) => {
      const [row] = await db.rows<JobRow>(this.sql.fail, [
        run.jobId,
        run.workerId,
        run.attempt,
        JSON.stringify(entry),
        entry.reason,
        retryDelayMs,
      ]);
      const job = row ? toJobRecord(row) : null;
      return { result: job, moves: job && FAILED_FOR_GOOD.matches(job) ? movesOf([job], 'pending', 'discarded') : [] };
    });
  }

  async handBack(run: RunFence, reason: string): Promise<boolean> {
    return this.fenced(this.sql.handBack, run, [reason]);
  }

  /** Returns claimed jobs that never started to the queue (see releaseJobsSql). */
  async release(workerId: string, jobs: JobRecord[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.rows(this.sql.release, [jobs.map((j) => j.id), workerId, jobs.map((j) => j.attempts), this.wakeChannel]);
  }

  async setProgress(run: RunFence, percent: number): Promise<boolean> {
    return this.fenced(this.sql.setProgress, run, [percent]);
  }

  async setOutput(run: RunFence, outputJson: string): Promise<boolean> {
    return this.fenced(this.sql.setOutput, run, [outputJson]);
  }

  async saveSteps(run: RunFence, steps: StepResults): Promise<boolean> {
    return this.fenced(this.sql.saveSteps, run, [JSON.stringify(steps)]);
  }

  /** Ends the attempt as a durable wait (see startWaitSql). */
  async startWait(run: RunFence, steps: StepResults, wait: PendingWait): Promise<boolean> {
    const at = wait.kind === 'until' ? wait.until : null;
    const delayMs = wait.kind === 'timer' ? wait.ms : wait.kind === 'token' ? wait.timeoutMs : null;
    const reason = wait.kind === 'token' ? `waiting for token "${wait.token}"` : 'waiting for a timer';
    const stored = { id: wait.id, kind: wait.kind, token: wait.kind === 'token' ? wait.token : undefined };
    return this.fenced(this.sql.startWait, run, [
      JSON.stringify(steps),
      JSON.stringify(stored),
      wait.kind === 'token' ? wait.token : null,
      at,
      delayMs,
      reason,
    ]);
  }

  /** The attempts among `runs` of `workerId` that their job no longer holds (see lostRunsSql). */
  async lostRuns(workerId: string, runs: { jobId: string; attempt: number }[]): Promise<LostRun[]> {
    if (runs.length === 0) return [];
    const rows = await this.db.rows<{ id: string; attempt: number; status: JobStatus | null }>(
      this.sql.lostRuns,
      [runs.map((run) => run.jobId), workerId, runs.map((run) => run.attempt)],
      `${this.wakeChannel}_lost_runs`,
    );
    return rows.map((row) => ({ jobId: row.id, attempt: row.attempt, status: row.status }));
  }

  private async fenced(sql: string, run: RunFence, params: unknown[]): Promise<boolean> {
    const rows = await this.db.rows(sql, [run.jobId, run.workerId, run.attempt, ...params]);
    return rows.length > 0;
  }
}
