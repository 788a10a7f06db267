import { applyDecorators, Controller, Get, Header, NotFoundException, Param, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { BatchRecord } from '../../core/batch-record.js';
import type { JobRecord } from '../../core/job-record.js';
import { QueueService } from '../../module/queue.service.js';
import { DashboardQueries } from '../queries/dashboard-queries.js';
import { parseBatchState, parseJobsFilter } from '../queries/jobs-filter.js';
import { DashboardAccessGuard } from '../security/dashboard-access.guard.js';
import { batchAttributes, batchView } from '../views/batch.view.js';
import { batchesView } from '../views/batches.view.js';
import { cronView } from '../views/cron.view.js';
import { flowView } from '../views/flow.view.js';
import { jobView } from '../views/job.view.js';
import { jobsView } from '../views/jobs.view.js';
import { compactJson } from '../views/json-text.js';
import { overviewView } from '../views/overview.view.js';
import { queuesView } from '../views/queues.view.js';
import { workersView } from '../views/workers.view.js';
import { PageContextFactory, type DashboardRequest } from './page-context.factory.js';
import { PageErrorFilter } from './page-error.filter.js';

/** A GET route answering an HTML page that must not be cached (it reflects live state). */
const HtmlPage = (path?: string) =>
  applyDecorators(Get(path), Header('Content-Type', 'text/html; charset=utf-8'), Header('Cache-Control', 'no-store'));

/**
 * A GET route answering the raw JSON a page shows cut to its budget: never cached, and never
 * rendered as HTML, whatever markup the JSON holds (the browser may not sniff another type).
 */
const RawJson = (path: string) =>
  applyDecorators(
    Get(path),
    Header('Content-Type', 'application/json; charset=utf-8'),
    Header('Content-Disposition', 'inline'),
    Header('Cache-Control', 'no-store'),
    Header('X-Content-Type-Options', 'nosniff'),
  );

/**
 * The dashboard's HTML pages and the raw JSON behind them (GET only; actions live in
 * DashboardActionsController). Errors are HTML pages, the raw JSON routes' included.
 */
@Controller()
@UseGuards(DashboardAccessGuard)
@UseFilters(PageErrorFilter)
export class DashboardPagesController {
  constructor(
    private readonly queries: DashboardQueries,
    private readonly contexts: PageContextFactory,
    private readonly queue: QueueService,
  ) {}

  @HtmlPage()
  async overview(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
    return overviewView(this.contexts.create(request, response), await this.queries.overview()).value;
  }

  @HtmlPage('jobs')
  async jobs(
    @Req() request: DashboardRequest,
    @Res({ passthrough: true }) response: unknown,
    @Query() query: Record<string, unknown>,
  ): Promise<string> {
    return jobsView(this.contexts.create(request, response), await this.queries.jobsPage(parseJobsFilter(query))).value;
  }

  @HtmlPage('jobs/:id')
  async job(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown, @Param('id') id: string): Promise<string> {
    const model = await this.queries.jobPage(id);
    if (!model) throw new NotFoundException(`job ${id} does not exist`);
    return jobView(this.contexts.create(request, response), model).value;
  }

  @RawJson('jobs/:id/payload.json')
  async payloadJson(@Param('id') id: string): Promise<string> {
    return compactJson((await this.existingJob(id)).payload);
  }

  @RawJson('jobs/:id/output.json')
  async outputJson(@Param('id') id: string): Promise<string> {
    return compactJson((await this.existingJob(id)).output);
  }

  /** The error of every failed attempt, oldest first. */
  @RawJson('jobs/:id/errors.json')
  async errorsJson(@Param('id') id: string): Promise<string> {
    return compactJson((await this.existingJob(id)).errorHistory);
  }

  @HtmlPage('batches')
  async batches(
    @Req() request: DashboardRequest,
    @Res({ passthrough: true }) response: unknown,
    @Query('state') state: unknown,
    @Query('cursor') cursor: unknown,
  ): Promise<string> {
    const model = await this.queries.batchesPage(parseBatchState(state), typeof cursor === 'string' ? cursor : undefined);
    return batchesView(this.contexts.create(request, response), model).value;
  }

  @HtmlPage('batches/:id')
  async batch(
    @Req() request: DashboardRequest,
    @Res({ passthrough: true }) response: unknown,
    @Param('id') id: string,
    @Query('cursor') cursor: unknown,
  ): Promise<string> {
    const model = await this.queries.batchPage(id, typeof cursor === 'string' ? cursor : undefined);
    if (!model) throw new NotFoundException(`batch ${id} does not exist`);
    return batchView(this.contexts.create(request, response), model).value;
  }

  /** A batch without steps (not made by `createFlow`) is no flow: a 404 too. */
  @HtmlPage('flows/:id')
  async flow(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown, @Param('id') id: string): Promise<string> {
    const model = await this.queries.flowPage(id);
    if (!model) throw new NotFoundException(`flow ${id} does not exist (no batch with this id has steps)`);
    return flowView(this.contexts.create(request, response), model).value;
  }

  @RawJson('batches/:id/attributes.json')
  async attributesJson(@Param('id') id: string): Promise<string> {
    return compactJson(batchAttributes(await this.existingBatch(id)));
  }

  @HtmlPage('queues')
  async queues(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
    return queuesView(this.contexts.create(request, response), await this.queries.queuesPage()).value;
  }

  @HtmlPage('cron')
  async cron(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
    return cronView(this.contexts.create(request, response), await this.queries.cronPage()).value;
  }

  @HtmlPage('workers')
  async workers(@Req() request: DashboardRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
    return workersView(this.contexts.create(request, response), await this.queries.workersPage()).value;
  }

  /** A malformed id is no job either: a 404, never a cast error. */
  private async existingJob(id: string): Promise<JobRecord> {
    const job = await this.queue.getJob(id);
    if (!job) throw new NotFoundException(`job ${id} does not exist`);
    return job;
  }

  private async existingBatch(id: string): Promise<BatchRecord> {
    const batch = await this.queue.getBatch(id);
    if (!batch) throw new NotFoundException(`batch ${id} does not exist`);
    return batch;
  }
}
