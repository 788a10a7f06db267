import { Injectable } from '@nestjs/common';
import { QueueService } from '@dataqueue/nestjs';
import type { BatchRecord } from '@dataqueue/nestjs';
import { REPORT_ASSEMBLY } from './report-assembly.callbacks.js';
import { RENDER_PAGE } from './render-page.handler.js';

/** The report batch's properties: `stage` 1 renders the pages, stage 2 publishes them. */
export type ReportProperties = { pages: number; stage: number; url?: string };

/** Starts report batches (for the controller and the seeder). */
@Injectable()
export class ReportsService {
  constructor(private readonly queue: QueueService) {}

  /** One batch with a `render-page` job per page; the `report-assembly` callbacks take it from there. */
  async start(pages: number, failPage?: number): Promise<BatchRecord> {
    const batch = await this.queue.createBatch({
      description: `Report of ${pages} page(s)`,
      properties: { pages, stage: 1 } satisfies ReportProperties,
      onFinish: REPORT_ASSEMBLY,
      onSuccess: REPORT_ASSEMBLY,
      onDiscard: REPORT_ASSEMBLY,
    });
    const jobs = Array.from({ length: pages }, (_, index) => ({
      jobType: RENDER_PAGE,
      payload: { page: index + 1, failUntilRetried: index + 1 === failPage },
    }));
    await batch.enqueue(jobs); // arms the batch: the callbacks run once every page has finished
    return batch.record;
  }
}
