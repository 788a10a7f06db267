import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, Length, Min, ValidateNested } from 'class-validator';
import {
  DataQueueModule,
  DataQueueOptionsInvalidError,
  DuplicateJobHandlerError,
  JobHandler,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  JobTypeUnknownError,
  QueueService,
} from '@dataqueue/nestjs';
import type { DataQueueModuleOptions, EnqueueOptions } from '@dataqueue/nestjs';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

class Attachment {
  @IsString() @Length(1, 100) filename!: string;
  @IsInt() @Min(0) bytes!: number;
}

class SendEmailDto {
  @IsEmail() to!: string;
  @IsString() @Length(1, 200) subject!: string;
  @ValidateNested({ each: true }) @Type(() => Attachment) attachments: Attachment[] = [];
}

@JobHandler('email', { payload: SendEmailDto })
class EmailHandler {
  async handle(payload: SendEmailDto): Promise<string> {
    return `sent to ${payload.to}`;
  }
}

@JobHandler('email')
class SecondEmailHandler {
  async handle(): Promise<void> {}
}

describe('validation', () => {
  describe('enqueue', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await createTestApp({ providers: [EmailHandler], options: { mode: 'external' } });
    });

    afterAll(async () => {
      await app?.close();
    });

    const countJobs = async () => (await app.queue.listJobs({ limit: 1000 })).jobs.length;

    it('accepts a payload that satisfies the DTO', async () => {
      const job = await app.queue.enqueue('email', {
        to: 'ada@example.com',
        subject: 'Hi',
        attachments: [{ filename: 'a.pdf', bytes: 10 }],
      });
      expect(job.status).toBe('pending');
      await expect(app.queue.deleteJob(job.id)).resolves.toBe(true);
    });

    it('rejects a payload that breaks the DTO with JobPayloadInvalidError listing every violation, inserting nothing', async () => {
      const error = await rejectionOf(
        app.queue.enqueue('email', { to: 'not-an-email', subject: '', attachments: [{ filename: 'a.pdf', bytes: -1 }] }),
      );
      expect(error).toBeInstanceOf(JobPayloadInvalidError);
      expect(error.jobType).toBe('email');
      expect(error.violations).toEqual(
        expect.arrayContaining([
          { path: 'payload.to', constraints: expect.objectContaining({ isEmail: expect.any(String) }) },
          { path: 'payload.subject', constraints: expect.objectContaining({ isLength: expect.any(String) }) },
          { path: 'payload.attachments.0.bytes', constraints: expect.objectContaining({ min: expect.any(String) }) },
        ]),
      );
      expect(error.message).toContain('email');
      expect(await countJobs()).toBe(0);
    });

    it('rejects a payload that is not an object for a DTO handler', async () => {
      await expect(app.queue.enqueue('email', 'ada@example.com')).rejects.toBeInstanceOf(JobPayloadInvalidError);
      expect(await countJobs()).toBe(0);
    });

    it('rejects an unknown job type with JobTypeUnknownError, inserting nothing', async () => {
      const error = await rejectionOf(app.queue.enqueue('emial', { to: 'ada@example.com' }));
      expect(error).toBeInstanceOf(JobTypeUnknownError);
      expect(error.jobType).toBe('emial');
      expect(await countJobs()).toBe(0);
    });

    const valid = { to: 'ada@example.com', subject: 'Hi' };
    it.each<[string, EnqueueOptions | Record<string, unknown>]>([
      ['maxAttempts', { maxAttempts: 0 }],
      ['priority', { priority: 1.5 }],
      ['delayMs', { delayMs: -5 }],
      ['timeoutMs', { timeoutMs: 0 }],
      ['runAt', { runAt: 'next tuesday' }],
      ['queue', { queue: 'has spaces' }],
      ['tags', { tags: ['ok', ''] }],
      ['tags', { tags: ['nul\u0000'] }],
      ['tags', { tags: Array.from({ length: 33 }, (_, i) => `tag-${i}`) }],
      ['idempotencyKey', { idempotencyKey: '' }],
      ['idempotencyKey', { idempotencyKey: 'half \ud83d' }],
      ['fairKey', { fairKey: '' }],
      ['fairKey', { fairKey: 42 }],
      ['fairWeight', { fairKey: 'acme', fairWeight: 0 }],
      ['fairWeight', { fairKey: 'acme', fairWeight: Number.NaN }],
      ['fairWeight', { fairWeight: 2 }], // a weight without a key
      ['nonsense', { nonsense: true }],
    ])('rejects a bad %s option with JobOptionsInvalidError naming it, inserting nothing', async (field, options) => {
      const error = await rejectionOf(app.queue.enqueue('email', valid, options));
      expect(error).toBeInstanceOf(JobOptionsInvalidError);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
      expect(await countJobs()).toBe(0);
    });

    it('validates all of enqueueMany before inserting any, naming the bad index', async () => {
      const error = await rejectionOf(
        app.queue.enqueueMany([
          { jobType: 'email', payload: valid },
          { jobType: 'email', payload: { ...valid, to: 'nope' } },
        ]),
      );
      expect(error).toBeInstanceOf(JobPayloadInvalidError);
      expect(error.index).toBe(1);
      expect(await countJobs()).toBe(0);
    });
  });

  describe('handlers', () => {
    it('refuses two @JobHandler classes for one job type with DuplicateJobHandlerError at boot', async () => {
      const error = await rejectionOf(createTestApp({ providers: [EmailHandler, SecondEmailHandler] }));
      expect(error).toBeInstanceOf(DuplicateJobHandlerError);
      expect(error.jobType).toBe('email');
      expect(error.message).toContain('EmailHandler');
      expect(error.message).toContain('SecondEmailHandler');
    });
  });

  describe('module options', () => {
    it.each<[option: string, options: Record<string, unknown>]>([
      ['queues', { queues: 'mail:x' }],
      ['queues', { queues: '*:2;*:3' }],
      ['pollIntervalMs', { pollIntervalMs: -1 }],
      ['schema', { schema: 'Bad-Name' }],
      ['mode', { mode: 'sideways' }],
      ['url', { url: 'mysql://localhost/db' }],
      ['defaultMaxAttempts', { defaultMaxAttempts: 0 }],
      ['defaultBackoff.jitter', { defaultBackoff: { jitter: 2 } }],
      ['workerTimeoutMs', { heartbeatIntervalMs: 1000, workerTimeoutMs: 1500 }],
    ])('fails at boot with DataQueueOptionsInvalidError naming %s', async (option, options) => {
      const error = await rejectionOf(createTestApp({ options: options }));
      expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
      expect(error.option).toBe(option);
      expect(error.message).toContain(option);
    });

    it('validates options that forRootAsync builds, naming the option', async () => {
      const error = await rejectionOf(
        (async () => {
          const moduleRef = await Test.createTestingModule({
            imports: [DataQueueModule.forRootAsync({ useFactory: () => ({ url: databaseUrl(), queues: 'mail:x' }) })],
          }).compile();
          try {
            await moduleRef.init();
          } finally {
            await moduleRef.close();
          }
        })(),
      );
      expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
      expect(error.option).toBe('queues');
    });
  });

  describe('forRootAsync', () => {
    @Injectable()
    class QueueConfig {
      readonly schema = uniqueSchema();
      options(): DataQueueModuleOptions {
        return { url: databaseUrl(), schema: this.schema, mode: 'external' };
      }
    }

    @Module({ providers: [QueueConfig], exports: [QueueConfig] })
    class QueueConfigModule {}

    /** A feature module that injects QueueService without importing DataQueueModule. */
    @Injectable()
    class Mailer {
      constructor(readonly queue: QueueService) {}
    }

    @Module({ providers: [Mailer, EmailHandler], exports: [Mailer] })
    class MailerModule {}

    it('builds the options from injected providers, and the module is global', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          DataQueueModule.forRootAsync({
            imports: [QueueConfigModule],
            inject: [QueueConfig],
            useFactory: (config: QueueConfig) => config.options(),
          }),
          MailerModule,
        ],
      }).compile();
      moduleRef.useLogger(false);
      const { schema } = moduleRef.get(QueueConfig, { strict: false });
      try {
        await moduleRef.init();
        const { queue } = moduleRef.get(Mailer, { strict: false });
        const job = await queue.enqueue('email', { to: 'ada@example.com', subject: 'async config' });
        expect(await queue.getJob(job.id)).toMatchObject({ status: 'pending', jobType: 'email' });
      } finally {
        await moduleRef.close();
        await dropSchema(schema);
      }
    });
  });
});
