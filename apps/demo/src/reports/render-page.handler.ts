import { Logger } from '@nestjs/common';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RenderPageDto } from './render-page.dto.js';

export const RENDER_PAGE = 'render-page';

export interface RenderedPage {
  page: number;
  html: string;
}

/** Stage 1 of a report: renders one page. Runs in the `reports` pool (2 slots, see AppModule). */
@JobHandler(RENDER_PAGE, { queue: 'reports', payload: RenderPageDto, maxAttempts: 2, backoff: { baseMs: 500 } })
export class RenderPageHandler {
  private readonly logger = new Logger(RenderPageHandler.name);

  async handle(payload: RenderPageDto, ctx: JobContext<RenderPageDto>): Promise<RenderedPage> {
    const { job, signal } = ctx;
    await sleep(400 + Math.random() * 400, undefined, { signal }); // "rendering"; rejects on cancel
    // retryJob and retryBatch set lastRetriedAt: the simulated outage is over once someone retried.
    if (payload.failUntilRetried && job.lastRetriedAt === null) {
      throw new Error(`renderer crashed on page ${payload.page} (simulated; retry the batch to fix it)`);
    }
    this.logger.log(`job ${job.id}: rendered page ${payload.page} of batch ${job.batchId}`);
    return { page: payload.page, html: `<section id="page-${payload.page}">…</section>` };
  }
}
