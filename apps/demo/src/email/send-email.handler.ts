import { Logger } from '@nestjs/common';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { quoted } from '../logging/quoted.js';
import { SendEmailDto } from './send-email.dto.js';

export const SEND_EMAIL = 'send-email';

/** Pretends to talk to an SMTP server. Runs in the `mail` pool (2 slots, see AppModule). */
@JobHandler(SEND_EMAIL, { queue: 'mail', payload: SendEmailDto, maxAttempts: 3 })
export class SendEmailHandler {
  private readonly logger = new Logger(SendEmailHandler.name);

  async handle(payload: SendEmailDto, ctx: JobContext<SendEmailDto>): Promise<{ messageId: string }> {
    const { job, signal } = ctx;
    // Both come from the request: quoted, so they cannot forge log lines (an email's quoted local part may hold a newline).
    this.logger.log(
      `job ${job.id}: sending ${quoted(payload.subject)} to ${quoted(payload.to)} (attempt ${job.attempts}/${job.maxAttempts})`,
    );

    await ctx.setProgress(10);
    await sleep(300, undefined, { signal }); // "connecting"; rejects if the job is cancelled or times out
    if (job.attempts <= (payload.failTimes ?? 0)) {
      throw new Error(`SMTP server unavailable (simulated failure ${job.attempts} of ${payload.failTimes})`);
    }
    await ctx.setProgress(60);
    await sleep(200, undefined, { signal }); // "sending"
    await ctx.setProgress(100);

    const messageId = `<${randomUUID()}@demo.dataqueue>`;
    this.logger.log(`job ${job.id}: sent, message id ${messageId}`);
    return { messageId }; // stored as the job's output
  }
}
