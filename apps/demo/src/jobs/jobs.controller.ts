import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { JobNotFoundError, QueueService } from '@dataqueue/nestjs';
import type { JobPage, JobRecord, JobStatus } from '@dataqueue/nestjs';
import { EMAIL_DEAD_LETTER } from '../email/email-dead-letter.handler.js';
import { SEND_EMAIL } from '../email/send-email.handler.js';

/** Query string of `GET /jobs`; lists are comma-separated (`?status=failed,cancelled`). */
interface ListJobsQuery {
  status?: string;
  jobType?: string;
  queue?: string;
  tags?: string;
  limit?: string;
  cursor?: string;
}

/** A thin HTTP face over QueueService; DataQueueExceptionFilter (from @dataqueue/nestjs) maps its errors to 400/404/409/429/503. */
@Controller('jobs')
export class JobsController {
  constructor(private readonly queue: QueueService) {}

  /** The body is the payload, validated against SendEmailDto by `enqueue` (400 when invalid). */
  @Post('email')
  enqueueEmail(@Body() payload: unknown): Promise<JobRecord> {
    return this.queue.enqueue(SEND_EMAIL, payload, { deadLetterJobType: EMAIL_DEAD_LETTER });
  }

  @Get()
  list(@Query() query: ListJobsQuery): Promise<JobPage> {
    return this.queue.listJobs({
      status: splitList(query.status) as JobStatus[] | undefined,
      jobType: query.jobType,
      queue: query.queue,
      tags: splitList(query.tags),
      limit: query.limit === undefined ? undefined : Number(query.limit),
      cursor: query.cursor,
    });
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobRecord> {
    const job = await this.queue.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id') id: string): Promise<JobRecord> {
    return this.queue.retryJob(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<JobRecord> {
    return this.queue.cancelJob(id);
  }

  /** Body: `{ "runAt": "2030-01-01T00:00:00Z" }`. */
  @Post(':id/reschedule')
  @HttpCode(200)
  reschedule(@Param('id') id: string, @Body() body: { runAt?: string }): Promise<JobRecord> {
    return this.queue.rescheduleJob(id, String(body?.runAt)); // 400 unless a valid date
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.queue.deleteJob(id))) throw new JobNotFoundError(id);
  }
}

function splitList(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((item) => item.trim()) : undefined;
}
