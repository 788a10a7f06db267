import { Injectable } from '@nestjs/common';
import { hasCallerTransaction, type CallerTransaction } from '../core/enqueue-options.js';
import type { JobRecord } from '../core/job-record.js';
import type { InsertResult } from '../store/insert-store.js';
import type { NewJob } from '../store/job-row.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { QueueStore } from '../store/queue-store.js';
import { PlannerStatistics } from '../store/planner-statistics.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { InsertBatcher } from './insert-batcher.js';
import { LocalWake } from './local-wake.js';
import type { JobsToInsert } from './new-job.factory.js';

/**
 * The insert pipeline: every route that creates jobs (an enqueue, alone, shared or in a caller's
 * transaction; a batch add; a cron tick; a dead letter) goes through it, in this order:
 * 1. settings: the rows come from NewJobFactory, which applies the job type's settings and the
 *    module's defaults (`createTrusted` for the jobs DataQueue makes itself);
 * 2. limits: enqueue-side concurrency rules lock their keys and admit each job, in the insert's
 *    transaction. Trusted jobs skip them: a cron tick or a dead letter is never refused, so the
 *    transaction that makes it (a final failure) cannot fail because of it;
 * 3. the INSERT (InsertStore), whose statement NOTIFYs the queues on commit;
 * 4. once this process committed it: the planner's statistics catch up with bulk inserts
 *    (PlannerStatistics) and this process's own pools are woken for the jobs due now
 *    (LocalWake). Inside a caller's transaction there is no step 4: the rows are not visible
 *    until the caller commits, and its commit NOTIFYs.
 * The one route that does not come here: batch callback jobs, which the batch statement that
 * finishes a batch inserts under the batch row's lock (see applyBatchChange).
 */
@Injectable()
export class JobInserter {
  constructor(
    private readonly database: QueueDatabase,
    private readonly gate: ConcurrencyGate,
    private readonly batcher: InsertBatcher,
    private readonly statistics: PlannerStatistics,
    private readonly localWake: LocalWake,
  ) {}

  /**
   * An enqueue: in the caller's transaction (a TypeORM manager or a pg client); otherwise on its
   * own, sharing a statement with concurrent enqueues when no limit has to be checked.
   */
  async enqueue(jobs: JobsToInsert, caller: CallerTransaction = {}): Promise<JobRecord[]> {
    if (jobs.rows.length === 0) return [];
    if (hasCallerTransaction(caller)) {
      return (await this.database.store.joining(caller).transaction((tx) => this.insertIn(tx, jobs))).jobs;
    }
    // Jobs with dependencies lock them first (see InsertStore): never in a shared statement.
    const alone = this.gate.needsEnqueueCheck(jobs.rows) || jobs.rows.some((row) => row.dependsOn.length > 0);
    const result = alone ? await this.database.store.transaction((tx) => this.insertIn(tx, jobs)) : await this.batcher.insert(jobs.rows);
    this.afterCommit(result.created);
    return result.jobs;
  }

  /** Steps 2 and 3 in `tx`; its owner calls `afterCommit` once it has committed (unless it is a caller's transaction). */
  async insertIn(tx: QueueStore, { rows, payloads }: JobsToInsert, { trusted = false } = {}): Promise<InsertResult> {
    if (rows.length === 0) return { jobs: [], created: [] };
    if (trusted || !this.gate.needsEnqueueCheck(rows)) return tx.inserts.insert(rows);
    const answers = await this.gate.admitEnqueue(tx, rows, payloads);
    const admitted = rows.filter((_, i) => answers[i] === null);
    const result = admitted.length > 0 ? await tx.inserts.insert(admitted) : { jobs: [], created: [] };
    // A job a `skip` rule turned away is answered with the latest job of its key.
    const inserted = result.jobs.values();
    return { jobs: answers.map((skipped) => skipped ?? inserted.next().value!), created: result.created };
  }

  /** A cron tick's job (see InsertStore.insertCronTick): trusted, once per tick across processes. */
  async enqueueCronTick(row: NewJob, cron: { key: string; tick: Date | null; force: boolean }): Promise<JobRecord | null> {
    const job = await this.database.store.inserts.insertCronTick(row, cron);
    if (job) this.afterCommit([job]);
    return job;
  }

  /** Step 4: `created` are the rows the commit added (not existing jobs a key or a limit answered with). */
  afterCommit(created: JobRecord[]): void {
    this.statistics.noteInserted(created.length);
    this.localWake.jobsCommitted(created);
  }
}
