import { Injectable, Logger } from '@nestjs/common';
import { OnBatchDiscard, OnBatchFinish, OnBatchSuccess } from '@dataqueue/nestjs';
import type { BatchCallbackContext, BatchRecord } from '@dataqueue/nestjs';
import { PUBLISH_REPORT } from './publish-report.handler.js';
import type { ReportProperties } from './reports.service.js';

/** The callback key report batches name in `onFinish`, `onSuccess` and `onDiscard`. */
export const REPORT_ASSEMBLY = 'report-assembly';

/**
 * Drives a report batch through its stages. Each method runs as a durable job, at least once:
 * it must be safe to run twice.
 */
@Injectable()
export class ReportAssemblyCallbacks {
  private readonly logger = new Logger(ReportAssemblyCallbacks.name);

  /** Every time all jobs of the batch have finished, successfully or not. */
  @OnBatchFinish(REPORT_ASSEMBLY)
  finished(batch: BatchRecord<ReportProperties>): void {
    const { succeeded, discarded } = batch.counts;
    this.logger.log(`batch ${batch.id}: stage ${batch.properties.stage} finished: ${succeeded} succeeded, ${discarded} discarded`);
  }

  /** When the batch finishes with no discarded job: stage 1 → enqueue stage 2; stage 2 → done. */
  @OnBatchSuccess(REPORT_ASSEMBLY)
  async succeeded(batch: BatchRecord<ReportProperties>, ctx: BatchCallbackContext): Promise<void> {
    // A repeated run after the next stage was enqueued finds the batch re-opened: nothing to do.
    if (batch.jobsFinishedAt === null) return;
    if (batch.properties.stage === 1) {
      // Stage 2 joins the same batch; enqueue re-arms it, so these callbacks run again after it.
      await ctx.batch.enqueue([{ jobType: PUBLISH_REPORT, payload: {}, options: { idempotencyKey: `publish-report-${batch.id}` } }], {
        properties: { stage: 2 },
      });
      this.logger.log(`batch ${batch.id}: all ${batch.properties.pages} page(s) rendered, publishing`);
    } else {
      this.logger.log(`batch ${batch.id}: report published at ${batch.properties.url}`);
    }
  }

  /** Once, when the first job of the batch fails for good or is cancelled. */
  @OnBatchDiscard(REPORT_ASSEMBLY)
  discarded(batch: BatchRecord<ReportProperties>): void {
    this.logger.warn(
      `batch ${batch.id}: a job was discarded in stage ${batch.properties.stage}; the report waits. ` +
        `POST /reports/${batch.id}/retry runs it again`,
    );
  }
}
