import { Logger } from '@nestjs/common';
import { JobHandler } from '@dataqueue/nestjs';
import type { FailureReason, JobContext, JobErrorEntry } from '@dataqueue/nestjs';
import { quoted } from '../logging/quoted.js';

export const EMAIL_DEAD_LETTER = 'email-dead-letter';

/** What DataQueue enqueues for a job that failed for good and named a `deadLetterJobType`. */
export interface DeadLetterPayload<Payload = unknown> {
  originalJob: { id: string; jobType: string; queue: string; attempts: number; tags: string[] };
  payload: Payload;
  failure: { reason: FailureReason | null; message: string | null; errorHistory: JobErrorEntry[] };
}

/** Receives emails that could not be sent. A real app would alert someone or park them for review. */
@JobHandler(EMAIL_DEAD_LETTER)
export class EmailDeadLetterHandler {
  private readonly logger = new Logger(EmailDeadLetterHandler.name);

  handle(letter: DeadLetterPayload, ctx: JobContext<DeadLetterPayload>): void {
    const { originalJob, failure } = letter;
    this.logger.warn(
      `job ${ctx.job.id}: ${originalJob.jobType} job ${originalJob.id} gave up after ${originalJob.attempts} attempts ` +
        `(${failure.reason}: ${quoted(failure.message)})`, // a handler's error message may carry payload text
    );
  }
}
