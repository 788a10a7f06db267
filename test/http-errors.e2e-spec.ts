import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import type { INestApplication, Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { IsEmail, IsString, Length } from 'class-validator';
import { DataQueueExceptionFilter, DataQueueModule, JobHandler, QueueService } from '@dataqueue/nestjs';
import type { CreateBatchOptions, CronEntryDefinition, DataQueueModuleOptions, EnqueueOptions, JobRecord } from '@dataqueue/nestjs';
import { createTestApp } from './support/test-app.js';
import { PLATFORMS, type Platform } from './support/dashboard-app.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

class EmailDto {
  @IsEmail() to!: string;
  @IsString() @Length(1, 200) subject!: string;
}

@JobHandler('http.email', { payload: EmailDto })
class EmailHandler {
  handle(): void {}
}

@JobHandler('http.limited', { concurrency: { key: { payload: 'user' }, enqueueLimit: 1 } })
class LimitedHandler {
  handle(): void {}
}

/** Declares a cron entry in code (key `http.nightly`): only a deploy changes it. */
@JobHandler('http.nightly', { cron: '0 3 * * *' })
class NightlyHandler {
  handle(): void {}
}

/** Its enqueue-side key is a function: only an app with this handler can enqueue it. */
@JobHandler('http.keyed', { concurrency: { key: (payload: { user: string }) => payload.user, enqueueLimit: 1 } })
class KeyedHandler {
  handle(): void {}
}

/** A thin HTTP face over QueueService: each route lets DataQueue's own error through. */
@Controller('t')
class ProbeController {
  constructor(private readonly queue: QueueService) {}

  @Post('jobs/:type')
  enqueue(@Param('type') type: string, @Body() body: { payload?: unknown; options?: EnqueueOptions }): Promise<JobRecord> {
    return this.queue.enqueue(type, body.payload, body.options);
  }

  @Get('jobs/:id')
  get(@Param('id') id: string): Promise<JobRecord | null> {
    return this.queue.getJob(id);
  }

  @Post('jobs/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<JobRecord> {
    return this.queue.cancelJob(id);
  }

  @Post('jobs/:id/retry')
  @HttpCode(200)
  retry(@Param('id') id: string): Promise<JobRecord> {
    return this.queue.retryJob(id);
  }

  @Post('batches')
  async createBatch(@Body() options: CreateBatchOptions): Promise<{ id: string }> {
    return { id: (await this.queue.createBatch(options)).id };
  }

  @Post('batches/:id/retry')
  @HttpCode(200)
  retryBatch(@Param('id') id: string): Promise<unknown> {
    return this.queue.retryBatch(id);
  }

  @Post('cron')
  @HttpCode(200)
  upsertCron(@Body() definition: CronEntryDefinition): Promise<unknown> {
    return this.queue.upsertCron(definition);
  }

  @Post('cron/:key/enable')
  @HttpCode(200)
  enableCron(@Param('key') key: string): Promise<unknown> {
    return this.queue.enableCron(key);
  }

  @Get('bug')
  bug(): never {
    throw new Error('a bug that is not DataQueue’s');
  }

  @Get('not-found')
  notFound(): never {
    throw new NotFoundException('no such page');
  }
}

type Setup = 'useGlobalFilters' | 'APP_FILTER';

interface HttpApp {
  origin: string;
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }>;
  close(): Promise<void>;
}

/** The filter set up in one line, either way, on either platform; `mode: 'external'` keeps jobs pending. */
async function startHttpApp(
  platform: Platform,
  setup: Setup,
  { providers = [], options = {} }: { providers?: Provider[]; options?: DataQueueModuleOptions } = {},
): Promise<HttpApp> {
  const ownsSchema = options.schema === undefined;
  const schema = options.schema ?? uniqueSchema('http');
  const moduleRef = await Test.createTestingModule({
    imports: [DataQueueModule.forRoot({ url: databaseUrl(), mode: 'external', ...options, schema })],
    controllers: [ProbeController],
    providers: [...providers, ...(setup === 'APP_FILTER' ? [{ provide: APP_FILTER, useClass: DataQueueExceptionFilter }] : [])],
  }).compile();
  const app: INestApplication =
    platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter()) : moduleRef.createNestApplication();
  if (setup === 'useGlobalFilters') app.useGlobalFilters(new DataQueueExceptionFilter());
  app.useLogger(process.env.TEST_LOG ? ['fatal', 'error', 'warn', 'log'] : false);
  await app.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    origin,
    async call(method, path, body) {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
    },
    async close() {
      await app.close();
      if (ownsSchema) await dropSchema(schema);
    },
  };
}

const email = { to: 'ada@example.com', subject: 'Hi' };

describe.each(PLATFORMS.flatMap((platform) => (['useGlobalFilters', 'APP_FILTER'] as const).map((setup) => [platform, setup] as const)))(
  'DataQueueExceptionFilter on %s, registered with %s',
  (platform, setup) => {
    let app: HttpApp;

    beforeAll(async () => {
      app = await startHttpApp(platform, setup, { providers: [EmailHandler, LimitedHandler, NightlyHandler] });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('answers an invalid payload with 400 JobPayloadInvalidError and its violations', async () => {
      const { status, body } = await app.call('POST', '/t/jobs/http.email', { payload: { to: 'nope', subject: '' } });
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'JobPayloadInvalidError',
        message: expect.stringContaining('payload.to'),
        jobType: 'http.email',
        violations: expect.arrayContaining([
          { path: 'payload.to', constraints: { isEmail: expect.any(String) } },
          { path: 'payload.subject', constraints: { isLength: expect.any(String) } },
        ]),
      });
    });

    it('answers an invalid enqueue option with 400 JobOptionsInvalidError naming the field', async () => {
      const { status, body } = await app.call('POST', '/t/jobs/http.email', { payload: email, options: { maxAttempts: 0 } });
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'JobOptionsInvalidError',
        message: expect.stringContaining('maxAttempts'),
        field: 'maxAttempts',
        jobType: 'http.email',
      });
    });

    it('answers an invalid batch option with 400 BatchOptionsInvalidError naming the field', async () => {
      const { status, body } = await app.call('POST', '/t/batches', { onFinish: 'nobody-declares-this' });
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'BatchOptionsInvalidError',
        message: expect.stringContaining('nobody-declares-this'),
        field: 'onFinish',
      });
    });

    it('answers an invalid cron entry with 400 CronEntryInvalidError naming the entry and the field', async () => {
      const entry = { key: 'http.tenant', schedule: '0 4 * * *', timezone: 'Mars/Olympus', jobType: 'http.email' };
      const { status, body } = await app.call('POST', '/t/cron', entry);
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'CronEntryInvalidError',
        message: expect.stringContaining('timezone is invalid'),
        key: 'http.tenant',
        field: 'timezone',
      });
    });

    it('answers an upsert of a cron entry declared in code with 409 CronEntryDeclaredInCodeError', async () => {
      const { status, body } = await app.call('POST', '/t/cron', { key: 'http.nightly', schedule: '0 4 * * *', jobType: 'http.nightly' });
      expect(status).toBe(409);
      expect(body).toEqual({
        statusCode: 409,
        error: 'CronEntryDeclaredInCodeError',
        message: expect.stringContaining('is declared in code'),
        key: 'http.nightly',
      });
    });

    it('answers an unknown job type with 404 JobTypeUnknownError', async () => {
      const { status, body } = await app.call('POST', '/t/jobs/http.nobody', { payload: {} });
      expect(status).toBe(404);
      expect(body).toEqual({
        statusCode: 404,
        error: 'JobTypeUnknownError',
        message: expect.stringContaining('http.nobody'),
        jobType: 'http.nobody',
      });
    });

    const batchId = randomUUID();
    it.each([
      ['job', 'JobNotFoundError', '/t/jobs/999999999/cancel', { jobId: '999999999' }],
      ['batch', 'BatchNotFoundError', `/t/batches/${batchId}/retry`, { batchId }],
      ['cron entry', 'CronEntryNotFoundError', '/t/cron/no-such-entry/enable', { key: 'no-such-entry' }],
    ])('answers an unknown %s with 404 %s naming it', async (_what, error, path, fields) => {
      const { status, body } = await app.call('POST', path);
      expect(status).toBe(404);
      expect(body).toEqual({ statusCode: 404, error, message: expect.stringContaining('does not exist'), ...fields });
    });

    it('answers an action the job’s status forbids with 409 JobStateError', async () => {
      const job = (await app.call('POST', '/t/jobs/http.email', { payload: email })).body;
      const { status, body } = await app.call('POST', `/t/jobs/${job.id}/retry`);
      expect(status).toBe(409);
      expect(body).toEqual({
        statusCode: 409,
        error: 'JobStateError',
        message: expect.stringContaining(`cannot retry job ${job.id}`),
        jobId: job.id,
        status: 'pending',
        action: 'retry',
        allowedFrom: ['failed', 'cancelled'],
      });
    });

    it('answers an idempotency key taken by another type with 409 IdempotencyKeyConflictError', async () => {
      const key = `key-${randomUUID()}`;
      const first = await app.call('POST', '/t/jobs/http.email', { payload: email, options: { idempotencyKey: key } });
      expect(first.status).toBe(201);
      const { status, body } = await app.call('POST', '/t/jobs/http.limited', {
        payload: { user: 'u0' },
        options: { idempotencyKey: key },
      });
      expect(status).toBe(409);
      expect(body).toEqual({
        statusCode: 409,
        error: 'IdempotencyKeyConflictError',
        message: expect.stringContaining(key),
        idempotencyKey: key,
        jobType: 'http.limited',
        existingJobType: 'http.email',
        existingJobId: first.body.id,
      });
    });

    it('answers a reached enqueue limit with 429 ConcurrencyLimitError naming the key and limit', async () => {
      const user = `u-${randomUUID()}`;
      expect((await app.call('POST', '/t/jobs/http.limited', { payload: { user } })).status).toBe(201);
      const { status, body } = await app.call('POST', '/t/jobs/http.limited', { payload: { user } });
      expect(status).toBe(429);
      expect(body).toEqual({
        statusCode: 429,
        error: 'ConcurrencyLimitError',
        message: expect.stringContaining(user),
        jobType: 'http.limited',
        key: user,
        limit: expect.stringContaining('enqueueLimit'),
      });
    });

    it('leaves other exceptions to Nest: an HttpException keeps its answer, a bug stays a bare 500', async () => {
      expect(await app.call('GET', '/t/not-found')).toEqual({
        status: 404,
        body: { statusCode: 404, message: 'no such page', error: 'Not Found' },
      });
      expect(await app.call('GET', '/t/bug')).toEqual({ status: 500, body: { statusCode: 500, message: 'Internal server error' } });
    });
  },
);

describe('DataQueueExceptionFilter in an enqueue-only app', () => {
  const schema = uniqueSchema('http');
  let app: HttpApp;

  beforeAll(async () => {
    // A worker app declares http.keyed once, publishing its settings (its key function stays there).
    const worker = await createTestApp({ providers: [KeyedHandler], options: { schema, mode: 'external' } });
    await worker.close();
    app = await startHttpApp('express', 'APP_FILTER', { options: { schema, strictJobTypes: false } });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('answers a rule only the handler’s app can check with 500 ConcurrencyKeyUnavailableError, naming type and rule', async () => {
    const { status, body } = await app.call('POST', '/t/jobs/http.keyed', { payload: { user: 'u1' } });
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'ConcurrencyKeyUnavailableError',
      message: expect.stringContaining('only an app with the handler can run'),
      jobType: 'http.keyed',
      rule: expect.stringContaining('enqueueLimit'),
    });
  });

  it('answers a type no app has published with 404 JobTypeNotPublishedError', async () => {
    const { status, body } = await app.call('POST', '/t/jobs/http.unpublished', { payload: {} });
    expect(status).toBe(404);
    expect(body).toEqual({
      statusCode: 404,
      error: 'JobTypeNotPublishedError',
      message: expect.stringContaining('http.unpublished'),
      jobType: 'http.unpublished',
    });
  });
});

describe('DataQueueExceptionFilter when the database is down', () => {
  let proxy: TcpProxy;
  let app: HttpApp;

  beforeAll(async () => {
    proxy = await TcpProxy.start(databaseUrl());
    app = await startHttpApp('express', 'APP_FILTER', { options: { url: proxy.urlFor(databaseUrl()) } });
  });

  afterAll(async () => {
    await proxy?.up();
    await app?.close();
    await proxy?.down();
  });

  it('answers 503 DatabaseUnavailableError without naming the server', async () => {
    expect((await app.call('GET', '/t/jobs/1')).status).toBe(200);
    await proxy.down();
    const { status, body } = await app.call('GET', '/t/jobs/1');
    expect(status).toBe(503);
    expect(body).toEqual({
      statusCode: 503,
      error: 'DatabaseUnavailableError',
      message: 'the job queue database is unavailable; retry later',
    });
  });
});
