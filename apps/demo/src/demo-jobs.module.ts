import { Module } from '@nestjs/common';
import { EmailDeadLetterHandler } from './email/email-dead-letter.handler.js';
import { SendEmailHandler } from './email/send-email.handler.js';
import { PublishReportHandler } from './reports/publish-report.handler.js';
import { RenderPageHandler } from './reports/render-page.handler.js';
import { ReportAssemblyCallbacks } from './reports/report-assembly.callbacks.js';

/**
 * The demo's job handlers and batch callbacks, in one module so that the web app and the
 * standalone worker (apps/worker) run the same code.
 */
@Module({
  providers: [SendEmailHandler, EmailDeadLetterHandler, RenderPageHandler, PublishReportHandler, ReportAssemblyCallbacks],
})
export class DemoJobsModule {}
