import { BadRequestException, Body, Controller, ForbiddenException, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { BatchRecord } from '../../core/batch-record.js';
import type { CronEntryRecord } from '../../core/cron-entry.js';
import { CronEntryNotFoundError, DataQueueError } from '../../core/data-queue.errors.js';
import { QueueService } from '../../module/queue.service.js';
import type { ResolvedDashboardOptions } from '../dashboard-options.validation.js';
import { DASHBOARD_OPTIONS } from '../dashboard.constants.js';
import { DashboardQueries } from '../queries/dashboard-queries.js';
import { encodeJobCursor } from '../queries/keyset.js';
import { CsrfGuard } from '../security/csrf.guard.js';
import { DashboardAccessGuard } from '../security/dashboard-access.guard.js';
import { parseCronEntryRequest, parseJobActionRequest, parsePauseRequest, type JobActionRequest } from './action-requests.js';

/** The most jobs one request acts on… */
const CHUNK_JOBS = 500;
/** …and how long it may keep starting new ones: a bulk action never holds a request for long. */
const CHUNK_MS = 5000;

export interface JobActionResult {
  affected: number;
  errors: { id: string; message: string }[];
  /** Send the same request again with this as `next` to go on; null once every job is done. */
  next: string | null;
}

/** POST-only, JSON, CSRF-checked; refused altogether in read-only mode. */
@Controller('actions')
@UseGuards(DashboardAccessGuard, CsrfGuard)
export class DashboardActionsController {
  constructor(
    private readonly queue: QueueService,
    private readonly queries: DashboardQueries,
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
  ) {}

  /**
   * Acts on the jobs newest first, one chunk per request (at most CHUNK_JOBS jobs, or what
   * CHUNK_MS allows); `next` continues below the last job handled.
   */
  @Post('jobs')
  @HttpCode(200)
  async jobs(@Body() body: unknown): Promise<JobActionResult> {
    this.refuseWhenReadOnly();
    const request = parseJobActionRequest(body);
    const { ids, more } = await this.chunkOf(request);
    const deadline = Date.now() + CHUNK_MS;
    const result: JobActionResult = { affected: 0, errors: [], next: null };
    for (const [index, id] of ids.entries()) {
      if (index > 0 && Date.now() >= deadline) {
        result.next = encodeJobCursor(ids[index - 1]);
        return result;
      }
      try {
        await this.apply(request, id);
        result.affected++;
      } catch (error) {
        if (!(error instanceof DataQueueError)) throw error;
        result.errors.push({ id, message: error.message });
      }
    }
    if (more) result.next = encodeJobCursor(ids.at(-1)!);
    return result;
  }

  @Post('batches/:id/:action')
  @HttpCode(200)
  async batch(@Param('id') id: string, @Param('action') action: string): Promise<{ batch: BatchRecord }> {
    this.refuseWhenReadOnly();
    if (action !== 'retry' && action !== 'cancel') throw new BadRequestException('action must be retry or cancel');
    return this.asHttp(async () => ({ batch: action === 'retry' ? await this.queue.retryBatch(id) : await this.queue.cancelBatch(id) }));
  }

  @Post('pauses')
  @HttpCode(200)
  async pause(@Body() body: unknown): Promise<{ ok: true }> {
    this.refuseWhenReadOnly();
    const { target, paused } = parsePauseRequest(body);
    await this.asHttp(() => (paused ? this.queue.pause(target) : this.queue.resume(target)));
    return { ok: true };
  }

  /** Creates or edits a runtime entry (`upsertCron`); an entry declared in code is refused. */
  @Post('cron')
  @HttpCode(200)
  async saveCron(@Body() body: unknown): Promise<{ entry: CronEntryRecord }> {
    this.refuseWhenReadOnly();
    const definition = parseCronEntryRequest(body);
    return this.asHttp(async () => ({ entry: await this.queue.upsertCron(definition) }));
  }

  @Post('cron/:key/:action')
  @HttpCode(200)
  async cron(@Param('key') key: string, @Param('action') action: string): Promise<{ ok: true }> {
    this.refuseWhenReadOnly();
    if (action === 'enable' || action === 'disable') {
      await this.asHttp(() => (action === 'enable' ? this.queue.enableCron(key) : this.queue.disableCron(key)));
    } else if (action === 'run') {
      await this.asHttp(() => this.queue.runCronNow(key));
    } else if (action === 'delete') {
      await this.asHttp(async () => {
        if (!(await this.queue.removeCron(key))) throw new CronEntryNotFoundError(key);
      });
    } else {
      throw new BadRequestException('action must be enable, disable, run or delete');
    }
    return { ok: true };
  }

  /** The jobs this request may act on, newest first, and whether any are left after them. */
  private async chunkOf({ ids, filter, below }: JobActionRequest): Promise<{ ids: string[]; more: boolean }> {
    if (filter) return this.queries.matchingJobIds(filter, below, CHUNK_JOBS);
    const newestFirst = [...new Set(ids!.map((id) => BigInt(id)))].sort((a, b) => (a < b ? 1 : -1));
    const remaining = below === undefined ? newestFirst : newestFirst.filter((id) => id < BigInt(below));
    return { ids: remaining.slice(0, CHUNK_JOBS).map(String), more: remaining.length > CHUNK_JOBS };
  }

  private async apply(request: JobActionRequest, id: string): Promise<void> {
    switch (request.action) {
      case 'retry':
        await this.queue.retryJob(id);
        return;
      case 'cancel':
        await this.queue.cancelJob(id);
        return;
      case 'reschedule':
        await this.queue.rescheduleJob(id, request.runAt!);
        return;
      case 'delete':
        if (!(await this.queue.deleteJob(id))) throw new DataQueueError(`job ${id} does not exist`);
    }
  }

  /** DataQueue's own errors (not found, wrong state, invalid) are the caller's 400, with their message. */
  private async asHttp<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DataQueueError) throw new BadRequestException(error.message);
      throw error;
    }
  }

  private refuseWhenReadOnly(): void {
    if (this.options.readOnly) throw new ForbiddenException('the dashboard is read-only');
  }
}
