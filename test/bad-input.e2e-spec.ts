import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CronEntryNotFoundError, JobHandler, JobOptionsInvalidError, JobPayloadInvalidError, type JobToEnqueue } from '@dataqueue/nestjs';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';

@JobHandler('echo')
class EchoHandler {
  handle(payload: unknown): unknown {
    return payload;
  }
}

@JobHandler('odd-output', { maxAttempts: 1 })
class OddOutputHandler {
  handle(payload: { kind: string }): unknown {
    if (payload.kind === 'bigint') return { n: 1n };
    if (payload.kind === 'lone-surrogate') return { text: 'half \ud83d' };
    if (payload.kind === 'nul-message') throw new Error('bad\u0000byte');
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a handler may throw besides an Error
    throw payload.kind === 'string' ? 'a plain string' : { code: 42 };
  }
}

class NestedDto {
  @ValidateNested() @Type(() => NestedDto) @IsOptional() child?: NestedDto;
}

@JobHandler('nested-dto', { payload: NestedDto })
class NestedDtoHandler {
  handle(): void {}
}

/** `levels` objects (or arrays) each holding the next. */
function nested(levels: number, kind: 'objects' | 'arrays'): unknown {
  let value: unknown = {};
  for (let i = 0; i < levels; i++) value = kind === 'arrays' ? [value] : { child: value };
  return value;
}

const cycle: Record<string, unknown> = { name: 'loop' };
cycle.self = cycle;

describe('bad input', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({
      providers: [EchoHandler, OddOutputHandler, NestedDtoHandler],
      options: { mode: 'external', maxPayloadBytes: 1024 },
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  async function countJobs(): Promise<number> {
    return (await app.queue.listJobs({ jobType: 'echo', limit: 1000 })).jobs.length;
  }

  it.each([
    ['a BigInt', { n: 10n }, 'payload'],
    ['a cycle', cycle, 'payload'],
    ['a function', { ok: 1, run: () => 1 }, 'payload.run'],
    ['NaN deep inside', { items: [{ price: Number.NaN }] }, 'payload.items.0.price'],
    ['a NUL character', { text: 'a\u0000b' }, 'payload.text'],
    ['an unpaired surrogate', { text: 'half \ud83d' }, 'payload.text'],
    ['an unpaired surrogate in a key', { ['k\udc00']: 1 }, 'payload.k\udc00'],
    ['too many bytes', { blob: 'x'.repeat(2000) }, 'payload'],
  ])('rejects a payload with %s naming the path, inserting nothing', async (_, payload, path) => {
    const before = await countJobs();
    const error = await rejectionOf(app.queue.enqueue('echo', payload));
    expect(error).toBeInstanceOf(JobPayloadInvalidError);
    expect((error as unknown as JobPayloadInvalidError).violations[0].path).toBe(path);
    expect(await countJobs()).toBe(before);
  });

  it.each([
    ['echo', 1500, 'arrays'],
    ['echo', 2500, 'objects'],
    ['nested-dto', 1500, 'arrays'],
    ['nested-dto', 2500, 'objects'],
  ] as const)(
    'rejects a %s payload of %i nested %s with a typed error naming the depth cap, inserting nothing',
    async (jobType, levels, kind) => {
      const error = await rejectionOf(app.queue.enqueue(jobType, nested(levels, kind)));
      expect(error).toBeInstanceOf(JobPayloadInvalidError);
      expect(JSON.stringify((error as unknown as JobPayloadInvalidError).violations)).toContain('nests deeper than 64 levels');
      expect((await app.queue.listJobs({ jobType })).jobs).toEqual([]);
    },
  );

  it('accepts 64 levels of nesting', async () => {
    const job = await app.queue.enqueue('nested-dto', nested(63, 'objects'));
    expect(job.status).toBe('pending');
    await app.queue.deleteJob(job.id);
  });

  it('rejects values Postgres cannot take with typed errors: a cursor past bigint, a NUL in a pause or a cron key', async () => {
    const nineteenDigits = Buffer.from('before:1000000000000000000').toString('base64url');
    expect(await rejectionOf(app.queue.listJobs({ cursor: nineteenDigits }))).toMatchObject({
      name: 'JobOptionsInvalidError',
      field: 'cursor',
    });
    expect(await rejectionOf(app.queue.pause({ queue: 'a\u0000b' }))).toMatchObject({ name: 'JobOptionsInvalidError', field: 'queue' });
    expect(await app.queue.listPauses()).toEqual([]);
    for (const call of [() => app.queue.runCronNow('a\u0000b'), () => app.queue.enableCron('a\u0000b')]) {
      expect(await rejectionOf(call())).toBeInstanceOf(CronEntryNotFoundError);
    }
  });

  it.each([
    ['a job type with SQL in it', "x'; DROP TABLE jobs;--", 'jobType'],
    ['a job type with HTML in it', '<script>alert(1)</script>', 'jobType'],
  ])('rejects %s with a typed error', async (_, jobType, field) => {
    const error = await rejectionOf(app.queue.enqueue(jobType, {}));
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect(error).toMatchObject({ field });
  });

  it('rejects a 10,000-job enqueueMany with one bad item as a whole, naming its index', async () => {
    const jobs: JobToEnqueue[] = Array.from({ length: 10_000 }, (_, i) => ({ jobType: 'echo', payload: { i } }));
    jobs[7_777] = { jobType: 'echo', payload: { i: 7_777 }, options: { priority: 'high' as unknown as number } };
    const before = await countJobs();
    const error = await rejectionOf(app.queue.enqueueMany(jobs));
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect(error).toMatchObject({ field: 'priority', index: 7_777 });
    expect(await countJobs()).toBe(before);
  });

  it('keeps running after handlers throw non-Errors or return output JSON cannot hold', async () => {
    const worker = await createTestApp({ providers: [EchoHandler, OddOutputHandler], options: { schema: app.schema } });
    try {
      const kinds = ['bigint', 'string', 'object', 'lone-surrogate', 'nul-message'];
      const jobs = await Promise.all(kinds.map((kind) => app.queue.enqueue('odd-output', { kind })));
      const [bigint, string, object, surrogate, nul] = await Promise.all(jobs.map((job) => waitForStatus(app.queue, job.id, 'failed')));
      expect(bigint.errorHistory[0].message).toContain('output is not JSON-serializable');
      expect(surrogate.errorHistory[0].message).toContain('output cannot be stored: output.text contains an unpaired UTF-16 surrogate');
      expect(nul.errorHistory[0].message).toBe('bad\ufffdbyte');
      expect(string.errorHistory[0].message).toBe('non-Error thrown: a plain string');
      expect(object.errorHistory[0].message).toBe('non-Error thrown: {"code":42}');
      const healthy = await app.queue.enqueue('echo', { still: 'fine' });
      expect((await waitForStatus(app.queue, healthy.id, 'completed')).output).toEqual({ still: 'fine' });
    } finally {
      await worker.close();
    }
  });
});
