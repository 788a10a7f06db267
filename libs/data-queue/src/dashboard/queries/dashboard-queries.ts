import { Injectable } from '@nestjs/common';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { BATCH_CALLBACK_JOB_TYPE } from '../../core/batch-record.js';
import type { BatchRecord } from '../../core/batch-record.js';
import { JOB_STATE_RULES, jobState, JOB_STATES, jobStateSql, type JobState } from '../../core/job-states.js';
import { storableDate } from '../../core/storable-date.js';
import { isJobId, isUuid } from '../../queue/ids.js';
import { CronService } from '../../scheduling/cron/cron.service.js';
import { PauseService } from '../../scheduling/pause.service.js';
import { toBatchRecord, type BatchRow } from '../../store/batch-row.js';
import { toJobRecord, type JobRow } from '../../store/job-row.js';
import { QueueDatabase } from '../../store/queue-database.js';
import { quoteIdent } from '../../store/sql/identifiers.js';
import { PAGE_BUDGET } from '../views/page-budget.js';
import type {
  BatchesPageModel,
  BatchPageModel,
  BatchState,
  CronPageModel,
  FlowLinkView,
  FlowPageModel,
  FlowStepView,
  JobPageModel,
  JobsFilter,
  JobsPageModel,
  OverviewModel,
  QueuesPageModel,
  WorkersPageModel,
} from '../views/view-models.js';
import { BATCH_STATE_SQL, batchState } from './batch-states.js';
import { attemptsOf, timelineOf } from './job-history.js';
import { decodeJobCursor, decodeKeyset, encodeJobCursor, encodeKeyset } from './keyset.js';
import { DashboardQueryStoppedError, withStatementTimeout } from './statement-timeout.js';

const PAGE_SIZE = 50;
const CHART_HOURS = 6;
/** Enough (queue, job type) pairs for any sane dropdown; the read stops there. */
const MAX_KINDS = 1000;

type TableName = 'jobs' | 'batches' | 'workers' | 'job_dependencies' | 'job_kinds';

/**
 * The dashboard's reads, through TypeORM's query builder with bound parameters. Lists are
 * keyset-paginated (newest first on an indexed column), so a page costs the same at row 50
 * or at row 1,000,000. Each page reads in one transaction under a statement timeout, so an
 * unindexed search cannot keep a connection busy for long.
 */
@Injectable()
export class DashboardQueries {
  constructor(
    private readonly database: QueueDatabase,
    private readonly pauses: PauseService,
    private readonly cron: CronService,
  ) {}

  async overview(): Promise<OverviewModel> {
    return this.read(async (db) => {
      const [countRow] = await this.jobs(db)
        .select(JOB_STATES.map((state) => `count(*) FILTER (WHERE ${JOB_STATE_RULES[state].sql('job')})::int AS "${state}"`))
        .getRawMany<Record<JobState, number>>();
      const queues = await this.jobs(db)
        .select('job.queue', 'queue')
        .addSelect(`count(*) FILTER (WHERE ${JOB_STATE_RULES.pending.sql('job')})::int`, 'pending')
        .addSelect(`count(*) FILTER (WHERE ${JOB_STATE_RULES.processing.sql('job')})::int`, 'processing')
        .addSelect(`count(*) FILTER (WHERE ${JOB_STATE_RULES.retrying.sql('job')})::int`, 'retrying')
        .addSelect(`count(*) FILTER (WHERE ${JOB_STATE_RULES.failed.sql('job')})::int`, 'failed')
        .where(`job.status IN ('pending', 'processing', 'failed')`)
        .groupBy('job.queue')
        .orderBy('job.queue')
        .getRawMany<OverviewModel['queues'][number]>();
      const throughput = await this.throughput(db, CHART_HOURS);
      const [{ alive }] = await db
        .createQueryBuilder()
        .select('count(*)::int', 'alive')
        .from(this.table('workers'), 'worker')
        .getRawMany<{ alive: number }>();
      return { counts: countRow, queues, throughput, hours: CHART_HOURS, workersAlive: alive };
    });
  }

  /**
   * Completions and failures per minute: one range scan of each timestamp index, bucketed,
   * then joined onto every minute of the window so quiet minutes show as zero.
   */
  private async throughput(db: EntityManager, hours: number): Promise<OverviewModel['throughput']> {
    const jobs = this.quotedTable('jobs');
    const rows: { minute: Date; completed: number; failed: number }[] = await db.query(
      `WITH window_start AS (SELECT date_trunc('minute', now()) - make_interval(hours => $1) AS at),
       completed AS (
         SELECT date_trunc('minute', completed_at) AS minute, count(*)::int AS n FROM ${jobs}
         WHERE completed_at >= (SELECT at FROM window_start) GROUP BY 1),
       failed AS (
         SELECT date_trunc('minute', last_failed_at) AS minute, count(*)::int AS n FROM ${jobs}
         WHERE last_failed_at >= (SELECT at FROM window_start) GROUP BY 1)
       SELECT minute.at AS minute, coalesce(completed.n, 0) AS completed, coalesce(failed.n, 0) AS failed
       FROM generate_series((SELECT at FROM window_start), date_trunc('minute', now()), interval '1 minute') AS minute(at)
       LEFT JOIN completed ON completed.minute = minute.at
       LEFT JOIN failed ON failed.minute = minute.at
       ORDER BY minute.at`,
      [hours],
    );
    return rows;
  }

  /**
   * The free-text search is the one unindexed scan: when the statement timeout stops it, the page
   * still answers, empty, saying so (`searchTimedOutAfterMs`). Anything else stopped is a 503.
   */
  async jobsPage(filter: JobsFilter): Promise<JobsPageModel> {
    const kinds = await this.read((db) => this.kinds(db));
    const distinct = (values: string[]) => [...new Set(values)].sort();
    const choices = { queues: distinct(kinds.map((k) => k.queue)), jobTypes: distinct(kinds.map((k) => k.job_type)) };
    try {
      const { jobs, nextCursor } = await this.read((db) => this.findJobs(db, filter));
      return { filter, jobs, nextCursor, ...choices, searchTimedOutAfterMs: null };
    } catch (error) {
      if (!(filter.search && error instanceof DashboardQueryStoppedError)) throw error;
      return { filter, jobs: [], nextCursor: null, ...choices, searchTimedOutAfterMs: error.timeoutMs };
    }
  }

  /**
   * The ids a bulk action on every job matching `filter` goes through next: newest first, below
   * job `below` when continuing, at most `limit`; `more` says whether any matching job is left.
   */
  async matchingJobIds(filter: JobsFilter, below: string | undefined, limit: number): Promise<{ ids: string[]; more: boolean }> {
    const rows = await this.read((db) => {
      const query = this.filteredJobs(db, filter).select('job.id', 'id');
      if (below) query.andWhere('job.id < :below::bigint', { below });
      return query
        .orderBy('job.id', 'DESC')
        .limit(limit + 1)
        .getRawMany<{ id: string }>();
    });
    return { ids: rows.slice(0, limit).map((row) => String(row.id)), more: rows.length > limit };
  }

  private async findJobs(db: EntityManager, filter: JobsFilter): Promise<Pick<JobsPageModel, 'jobs' | 'nextCursor'>> {
    const { rows, nextCursor } = await this.pageById(this.filteredJobs(db, filter).select('job.*'), filter.cursor);
    return { jobs: rows.map((row) => toJobRecord(row)), nextCursor };
  }

  private filteredJobs(db: EntityManager, filter: JobsFilter): SelectQueryBuilder<object> {
    const query = this.jobs(db);
    if (filter.state) query.andWhere(JOB_STATE_RULES[filter.state].sql('job'));
    if (filter.queue) query.andWhere('job.queue = :queue', { queue: filter.queue });
    if (filter.jobType) query.andWhere('job.job_type = :jobType', { jobType: filter.jobType });
    // `job.tags <> '{}'`: the tag index is partial.
    if (filter.tag) query.andWhere("job.tags @> ARRAY[:tag]::text[] AND job.tags <> '{}'", { tag: filter.tag });
    if (filter.batchId) query.andWhere('job.batch_id = :batchId::uuid', { batchId: filter.batchId });
    if (filter.search) {
      if (isJobId(filter.search)) query.andWhere('job.id = :searchId::bigint', { searchId: filter.search });
      else
        query.andWhere('(job.job_type ILIKE :pattern OR job.payload::text ILIKE :pattern)', { pattern: `%${escapeLike(filter.search)}%` });
    }
    return query;
  }

  async jobPage(id: string): Promise<JobPageModel | null> {
    if (!isJobId(id)) return null;
    return this.read(async (db) => {
      const row = await this.jobs(db).select('job.*').where('job.id = :id::bigint', { id }).getRawOne<JobRow>();
      if (!row) return null;
      const job = toJobRecord(row);
      const batchId = job.batchId ?? job.batchCallbackId;
      return {
        job,
        state: jobState(job),
        attempts: attemptsOf(job),
        timeline: timelineOf(job),
        batch: batchId ? await this.batch(db, batchId) : null,
      };
    });
  }

  async batchesPage(state: BatchState | undefined, cursor: string | undefined): Promise<BatchesPageModel> {
    const rows = await this.read((db) => {
      const query = db.createQueryBuilder().select('batch.*').from(this.table('batches'), 'batch');
      if (state) query.where(BATCH_STATE_SQL[state]);
      const after = cursor ? decodeKeyset(cursor) : null;
      // A cursor is only trusted once its parts have the types the comparison casts them to.
      const at = after ? storableDate(after.at) : null;
      if (after && at && isUuid(after.id)) {
        query.andWhere('(batch.created_at, batch.id) < (:at::timestamptz, :id::uuid)', { at, id: after.id });
      }
      return query
        .orderBy('batch.created_at', 'DESC')
        .addOrderBy('batch.id', 'DESC')
        .limit(PAGE_SIZE + 1)
        .getRawMany<BatchRow>();
    });
    const page = rows.slice(0, PAGE_SIZE).map((row) => toBatchRecord(row));
    const last = page.at(-1);
    return {
      state,
      batches: page.map((batch) => ({ batch, state: batchState(batch) })),
      nextCursor: rows.length > PAGE_SIZE && last ? encodeKeyset({ at: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  async batchPage(id: string, cursor: string | undefined): Promise<BatchPageModel | null> {
    return this.read(async (db) => {
      const batch = await this.batch(db, id);
      if (!batch) return null;
      const callbackJobs = await this.jobs(db)
        .select('job.*')
        .where('job.batch_callback_id = :id::uuid', { id })
        .andWhere('job.job_type = :type', { type: BATCH_CALLBACK_JOB_TYPE })
        .orderBy('job.id', 'DESC')
        .getRawMany<JobRow>();
      const { rows, nextCursor } = await this.pageById(this.jobs(db).select('job.*').where('job.batch_id = :id::uuid', { id }), cursor);
      // A flow inserts its steps first, so its batch's first job tells: one index probe, whatever the batch's size.
      const first = await this.jobs(db)
        .select('job.step_name IS NOT NULL', 'isStep')
        .where('job.batch_id = :id::uuid', { id })
        .orderBy('job.id')
        .limit(1)
        .getRawOne<{ isStep: boolean }>();
      return {
        batch,
        state: batchState(batch),
        callbackJobs: callbackJobs.map((row) => toJobRecord(row)),
        jobs: rows.map((row) => toJobRecord(row)),
        nextCursor,
        isFlow: first?.isStep === true,
      };
    });
  }

  /**
   * A flow (a batch with steps): its first steps, and the links between them when the flow is
   * small enough to draw; null when there is no such batch or it has no step.
   */
  async flowPage(id: string): Promise<FlowPageModel | null> {
    return this.read(async (db) => {
      const batch = await this.batch(db, id);
      if (!batch) return null;
      const rows = await this.jobs(db)
        .select([
          'job.id AS id',
          'job.step_name AS name',
          `${jobStateSql('job')} AS state`,
          'job.attempts AS attempts',
          'job.max_attempts AS "maxAttempts"',
          'count(*) OVER ()::int AS total',
        ])
        .where('job.batch_id = :id::uuid AND job.step_name IS NOT NULL', { id })
        .orderBy('job.id')
        .limit(PAGE_BUDGET.flowSteps)
        .getRawMany<FlowStepView & { total: number }>();
      if (rows.length === 0) return null;
      const totalSteps = rows[0].total;
      const steps = rows.map(({ total: _, ...step }) => step);
      const links = totalSteps <= PAGE_BUDGET.flowGraphNodes ? await this.flowLinks(db, id, totalSteps) : null;
      return { batch, state: batchState(batch), steps, totalSteps, links };
    });
  }

  /**
   * The links into the steps of flow `id`, or null when they are more than the graph draws, or
   * the outside jobs they name, with the steps, make more nodes (it reads one link more to know).
   */
  private async flowLinks(db: EntityManager, id: string, totalSteps: number): Promise<FlowLinkView[] | null> {
    const rows: { jobId: string; dependsOnId: string; dependsOnStep: boolean | null; dependencyState: JobState | null }[] = await db.query(
      `SELECT edge.job_id::text AS "jobId", edge.depends_on_id::text AS "dependsOnId",
              (dependency.batch_id = $1 AND dependency.step_name IS NOT NULL) AS "dependsOnStep",
              ${jobStateSql('dependency')} AS "dependencyState"
       FROM ${this.quotedTable('jobs')} AS job
       JOIN ${this.quotedTable('job_dependencies')} AS edge ON edge.job_id = job.id
       LEFT JOIN ${this.quotedTable('jobs')} AS dependency ON dependency.id = edge.depends_on_id
       WHERE job.batch_id = $1 AND job.step_name IS NOT NULL
       ORDER BY edge.job_id, edge.depends_on_id
       LIMIT $2`,
      [id, PAGE_BUDGET.flowGraphLinks + 1],
    );
    if (rows.length > PAGE_BUDGET.flowGraphLinks) return null;
    const outsideJobs = new Set(rows.filter((row) => !row.dependsOnStep).map((row) => row.dependsOnId));
    if (totalSteps + outsideJobs.size > PAGE_BUDGET.flowGraphNodes) return null;
    return rows.map((row) => ({ ...row, dependsOnStep: row.dependsOnStep === true }));
  }

  async queuesPage(): Promise<QueuesPageModel> {
    const pauses = await this.pauses.list();
    const pausedQueues = new Set(pauses.filter((p) => p.kind === 'queue').map((p) => p.value));
    const [rows, fairKeys] = await this.read(
      async (db) =>
        [
          await this.queueCounts(db),
          await this.database.store.joining({ manager: db }).gauges.fairKeys(PAGE_BUDGET.fairKeysPerQueue),
        ] as const,
    );
    const known = new Set(rows.map((row) => row.queue));
    const idlePaused = [...pausedQueues].filter((queue) => !known.has(queue));
    const queues = [
      ...rows,
      ...idlePaused.map((queue) => ({ queue, runnable: 0, scheduled: 0, processing: 0, oldestRunnableMs: null })),
    ].map((row) => ({ ...row, paused: pausedQueues.has(row.queue) }));
    return { queues, pauses, fairKeys };
  }

  /** Runnable, scheduled and running jobs of each queue, and how long its oldest runnable job has waited. */
  private async queueCounts(db: EntityManager): Promise<Omit<QueuesPageModel['queues'][number], 'paused'>[]> {
    return this.jobs(db)
      .select('job.queue', 'queue')
      .addSelect(`count(*) FILTER (WHERE job.status IN ('pending', 'failed') AND job.available_at <= now())::int`, 'runnable')
      .addSelect(`count(*) FILTER (WHERE job.status IN ('pending', 'failed') AND job.available_at > now())::int`, 'scheduled')
      .addSelect(`count(*) FILTER (WHERE job.status = 'processing')::int`, 'processing')
      .addSelect(
        `(extract(epoch FROM now() - min(job.available_at) ` +
          `FILTER (WHERE job.status IN ('pending', 'failed') AND job.available_at <= now())) * 1000)::float8`,
        'oldestRunnableMs',
      )
      .where(`job.status IN ('pending', 'failed', 'processing') AND (job.status = 'processing' OR job.available_at IS NOT NULL)`)
      .groupBy('job.queue')
      .orderBy('job.queue')
      .getRawMany<Omit<QueuesPageModel['queues'][number], 'paused'>>();
  }

  async cronPage(): Promise<CronPageModel> {
    return { entries: await this.cron.list() };
  }

  async workersPage(): Promise<WorkersPageModel> {
    const [workers, running] = await this.read(
      async (db) =>
        [
          await db
            .createQueryBuilder()
            .select('worker.*')
            .from(this.table('workers'), 'worker')
            .orderBy('worker.started_at')
            .getRawMany<{ id: string; hostname: string; pid: number; queues: string; started_at: Date; heartbeat_at: Date }>(),
          await this.jobs(db)
            .select(['job.id AS id', 'job.job_type AS "jobType"', 'job.locked_at AS "startedAt"', 'job.locked_by AS "lockedBy"'])
            .where(`job.status = 'processing'`)
            .orderBy('job.id')
            .getRawMany<{ id: string; jobType: string; startedAt: Date | null; lockedBy: string }>(),
        ] as const,
    );
    return {
      workers: workers.map((worker) => ({
        id: worker.id,
        hostname: worker.hostname,
        pid: worker.pid,
        queues: worker.queues,
        startedAt: worker.started_at,
        heartbeatAt: worker.heartbeat_at,
        running: running.filter((job) => job.lockedBy === worker.id).map(({ lockedBy: _, ...job }) => job),
      })),
    };
  }

  private async batch(db: EntityManager, id: string): Promise<BatchRecord | null> {
    if (!isUuid(id)) return null;
    const row = await db
      .createQueryBuilder()
      .select('batch.*')
      .from(this.table('batches'), 'batch')
      .where('batch.id = :id::uuid', { id })
      .getRawOne<BatchRow>();
    return row ? toBatchRecord(row) : null;
  }

  /** Newest first on id; reads one extra row to know whether there is a next page. */
  private async pageById(
    query: SelectQueryBuilder<object>,
    cursor: string | undefined,
  ): Promise<{ rows: JobRow[]; nextCursor: string | null }> {
    const before = cursor ? decodeJobCursor(cursor) : null;
    if (before) query.andWhere('job.id < :before::bigint', { before });
    const rows = await query
      .orderBy('job.id', 'DESC')
      .limit(PAGE_SIZE + 1)
      .getRawMany<JobRow>();
    const page = rows.slice(0, PAGE_SIZE);
    const last = page.at(-1);
    return { rows: page, nextCursor: rows.length > PAGE_SIZE && last ? encodeJobCursor(String(last.id)) : null };
  }

  /** The (queue, job type) pairs ever enqueued, for the dropdowns (see the job-kinds migration). */
  private async kinds(db: EntityManager): Promise<{ queue: string; job_type: string }[]> {
    return db.query(`SELECT DISTINCT queue, job_type FROM ${this.quotedTable('job_kinds')} ORDER BY queue, job_type LIMIT ${MAX_KINDS}`);
  }

  private read<T>(reads: (db: EntityManager) => Promise<T>): Promise<T> {
    return withStatementTimeout(this.database.dataSource, reads);
  }

  private jobs(db: EntityManager): SelectQueryBuilder<object> {
    return db.createQueryBuilder().from(this.table('jobs'), 'job');
  }

  /** For the query builder, which quotes each part of the name itself. */
  private table(name: TableName): string {
    return `${this.database.schema}.${name}`;
  }

  /** For raw SQL text. */
  private quotedTable(name: TableName): string {
    return `${quoteIdent(this.database.schema)}.${name}`;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
