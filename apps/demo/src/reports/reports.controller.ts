import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { BatchNotFoundError, QueueService } from '@dataqueue/nestjs';
import type { BatchRecord, JobRecord } from '@dataqueue/nestjs';
import { ReportsService } from './reports.service.js';

/** Batches over HTTP; DataQueueExceptionFilter maps BatchNotFoundError to 404. */
@Controller('reports')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly queue: QueueService,
  ) {}

  /** Body: `{ "pages": 3, "failPage": 2 }`; `failPage` fails until the batch is retried. */
  @Post()
  create(@Body() body: { pages?: unknown; failPage?: unknown }): Promise<BatchRecord> {
    const { pages, failPage } = body ?? {};
    if (!Number.isInteger(pages) || (pages as number) < 1 || (pages as number) > 100) {
      throw new BadRequestException('pages must be an integer from 1 to 100');
    }
    if (failPage !== undefined && !Number.isInteger(failPage)) throw new BadRequestException('failPage must be an integer');
    return this.reports.start(pages as number, failPage as number | undefined);
  }

  /** The batch and a page of its jobs, newest first (`?cursor=` for the next page). */
  @Get(':id')
  async get(
    @Param('id') id: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ batch: BatchRecord; jobs: JobRecord[]; nextCursor: string | null }> {
    const batch = await this.queue.getBatch(id);
    if (!batch) throw new BatchNotFoundError(id);
    const { jobs, nextCursor } = await this.queue.listJobs({ batchId: id, cursor });
    return { batch, jobs, nextCursor };
  }

  /** Runs every discarded (failed or cancelled) job of the batch again. */
  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id') id: string): Promise<BatchRecord> {
    return this.queue.retryBatch(id);
  }

  /** Cancels every unfinished job of the batch: the discard and finish callbacks run. */
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<BatchRecord> {
    return this.queue.cancelBatch(id);
  }
}
