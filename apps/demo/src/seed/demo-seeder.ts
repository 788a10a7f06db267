import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { QueueService } from '@dataqueue/nestjs';
import { EMAIL_DEAD_LETTER } from '../email/email-dead-letter.handler.js';
import { SEND_EMAIL } from '../email/send-email.handler.js';
import type { SendEmailDto } from '../email/send-email.dto.js';
import { ReportsService } from '../reports/reports.service.js';

/**
 * Enqueues three emails at start (one succeeds, one succeeds on its 2nd attempt, one is
 * dead-lettered) and one 3-page report batch.
 */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeeder.name);

  constructor(
    private readonly queue: QueueService,
    private readonly reports: ReportsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const emails: SendEmailDto[] = [
      { to: 'ada@example.com', subject: 'Works the first time' },
      { to: 'grace@example.com', subject: 'Fails once, then succeeds', failTimes: 1 },
      { to: 'linus@example.com', subject: 'Always fails, ends in the dead-letter queue', failTimes: 99 },
    ];
    const jobs = await this.queue.enqueueMany(
      emails.map((payload) => ({
        jobType: SEND_EMAIL,
        payload,
        options: { deadLetterJobType: EMAIL_DEAD_LETTER, tags: ['seed'] },
      })),
    );
    this.logger.log(`seeded send-email jobs ${jobs.map((job) => job.id).join(', ')} (GET /jobs?tags=seed)`);

    const report = await this.reports.start(3);
    this.logger.log(`seeded report batch ${report.id} (GET /reports/${report.id})`);
  }
}
