import { Logger } from '@nestjs/common';
import { JobHandler, QueueService } from '@dataqueue/nestjs';
import type { JobContext, JobRecord } from '@dataqueue/nestjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RENDER_PAGE, type RenderedPage } from './render-page.handler.js';

export const PUBLISH_REPORT = 'publish-report';

/** Stage 2 of a report: assembles the pages its batch rendered and "uploads" the document. */
@JobHandler(PUBLISH_REPORT, { queue: 'reports' })
export class PublishReportHandler {
  private readonly logger = new Logger(PublishReportHandler.name);

  constructor(private readonly queue: QueueService) {}

  async handle(_payload: unknown, ctx: JobContext): Promise<{ url: string; pages: number; bytes: number }> {
    const batch = ctx.batch!; // this job was enqueued into the report's batch
    const pages = await this.renderedPages(batch.id);
    const document = `<article>${pages.map((page) => page.html).join('')}</article>`;
    await sleep(300, undefined, { signal: ctx.signal }); // "uploading"
    const url = `https://reports.example.com/${batch.id}.html`;
    await batch.update({ properties: { url } }); // merged into the batch's properties
    this.logger.log(`job ${ctx.job.id}: published ${pages.length} page(s) of batch ${batch.id}`);
    return { url, pages: pages.length, bytes: document.length };
  }

  /** The outputs of the batch's completed `render-page` jobs, in page order. */
  private async renderedPages(batchId: string): Promise<RenderedPage[]> {
    const jobs: JobRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.queue.listJobs({ batchId, jobType: RENDER_PAGE, status: 'completed', limit: 1000, cursor });
      jobs.push(...page.jobs);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return jobs.map((job) => job.output as RenderedPage).sort((a, b) => a.page - b.page);
  }
}
