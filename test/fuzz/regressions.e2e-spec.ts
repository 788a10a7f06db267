import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BatchNotFoundError,
  BatchOptionsInvalidError,
  CronEntryNotFoundError,
  JobNotFoundError,
  JobOptionsInvalidError,
  type JobToEnqueue,
  type QueueService,
} from '@dataqueue/nestjs';
import { DashboardClient } from '../support/dashboard-app.js';
import { rejectionOf } from '../support/rejection.js';
import { startSeededQueue, type SeededQueue } from './seeded-queue.js';

/*
 * The fuzzers' counterexamples that failed inside QueueService (a TypeError, a RangeError or a
 * Postgres error instead of a DataQueueError), each shrunk to its smallest form.
 */

const LATER = { delayMs: 3_600_000 };

/** Ids `String()` cannot turn into text: it throws on each. */
const UNPRINTABLE_IDS: [string, unknown][] = [
  ['a null-prototype object', Object.create(null)],
  ['an array holding a Symbol', [Symbol('id')]],
  ['20,000 nested arrays', Array.from({ length: 20_000 }).reduce<unknown[]>((inner) => [inner], [])],
];

/** The earliest instant Postgres's timestamptz holds. */
const EARLIEST_STORABLE = new Date(Date.UTC(-4713, 10, 24));

describe('QueueService, on the fuzzers’ counterexamples', () => {
  let seeded: SeededQueue;
  let queue: QueueService;

  beforeAll(async () => {
    seeded = await startSeededQueue();
    queue = seeded.dash.queue;
  });

  afterAll(async () => {
    await seeded?.close();
  });

  /** Runs `call`, which must reject with a JobOptionsInvalidError naming `field`, and leave every row as it was. */
  async function expectInvalid(field: string, call: () => Promise<unknown>): Promise<void> {
    const before = await seeded.checksum.take();
    const error = await rejectionOf(call());
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect(error.field).toBe(field);
    expect(await seeded.checksum.take()).toEqual(before);
  }

  describe.each(UNPRINTABLE_IDS)('given %s as a job id', (_, id) => {
    it('finds no job, and cancelJob, retryJob and rescheduleJob reject with JobNotFoundError', async () => {
      const before = await seeded.checksum.take();
      expect(await queue.getJob(id as string)).toBeNull();
      expect(await queue.getJobExecutions(id as string)).toEqual([]);
      expect(await queue.deleteJob(id as string)).toBe(false);
      for (const call of [
        () => queue.cancelJob(id as string),
        () => queue.retryJob(id as string),
        () => queue.rescheduleJob(id as string, new Date()),
      ]) {
        expect(await rejectionOf(call())).toBeInstanceOf(JobNotFoundError);
      }
      expect(await seeded.checksum.take()).toEqual(before);
    });
  });

  it('does not take an array holding a job id for that id', async () => {
    const job = await queue.enqueue('note', {}, LATER);
    expect(await queue.getJob([job.id] as unknown as string)).toBeNull();
    expect(await rejectionOf(queue.cancelJob([job.id] as unknown as string))).toBeInstanceOf(JobNotFoundError);
    expect((await queue.getJob(job.id))!.status).toBe('pending');
  });

  it.each([
    ['null', null],
    ['a string', 'queue=mail'],
    ['an array', [{ queue: 'mail' }]],
  ])('rejects enqueue options that are %s, naming options', async (_, options) => {
    await expectInvalid('options', () => queue.enqueue('note', {}, options as never));
  });

  it('reads only the options’ own fields: an inherited one is neither validated nor applied', async () => {
    const options = Object.create({ queue: 'mail', priority: 2 ** 53, maxAttempts: false }) as object;
    const job = await queue.enqueue('note', {}, options);
    expect(job).toMatchObject({ queue: 'default', priority: 0 });
    await queue.deleteJob(job.id);
  });

  it('rejects an enqueueMany with a hole, naming the item', async () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the input under test
    const jobs = [, { jobType: 'note', payload: {} }] as JobToEnqueue[];
    const before = await seeded.checksum.take();
    const error = await rejectionOf(queue.enqueueMany(jobs));
    expect(error).toMatchObject({ name: 'JobOptionsInvalidError', field: 'jobType', index: 0 });
    expect(await seeded.checksum.take()).toEqual(before);
  });

  it.each(UNPRINTABLE_IDS)('rejects %s as a job type, naming jobType', async (_, jobType) => {
    await expectInvalid('jobType', () => queue.enqueue(jobType as string, {}));
  });

  it.each([
    ['a Date before 4714 BC', new Date(EARLIEST_STORABLE.getTime() - 1)],
    ['the earliest JavaScript Date', new Date(-8.64e15)],
    ['an ISO string before 4714 BC', '-271821-04-20T00:00:00Z'],
    ['a number', Date.now() + 60_000],
    ['a null-prototype object', Object.create(null)],
    ['a Symbol', Symbol('when')],
  ])('rejects rescheduling to %s, naming runAt, and leaves the job as it was', async (_, runAt) => {
    const job = await queue.enqueue('note', {}, LATER);
    await expectInvalid('runAt', () => queue.rescheduleJob(job.id, runAt as Date));
    expect((await queue.getJob(job.id))!.runAt).toEqual(job.runAt);
  });

  it('reschedules to the earliest instant Postgres stores', async () => {
    const job = await queue.enqueue('note', {}, LATER);
    expect((await queue.rescheduleJob(job.id, EARLIEST_STORABLE)).runAt).toEqual(EARLIEST_STORABLE);
    await queue.deleteJob(job.id);
  });

  it.each([
    ['__proto__', JSON.parse('{"__proto__": {}}') as object],
    ['valueOf', { valueOf: 1 }],
    ['hasOwnProperty', { hasOwnProperty: 1 }],
    ['constructor', { constructor: 1 }],
  ])('rejects an option named %s as unknown, naming it', async (field, options) => {
    await expectInvalid(field, () => queue.enqueue('note', {}, options));
  });

  it.each([
    ['the earliest JavaScript Date', new Date(-8.64e15)],
    ['an ISO string before 4714 BC', '-271821-04-20T00:00:00Z'],
  ])('rejects enqueueing to run at %s, naming runAt', async (_, runAt) => {
    await expectInvalid('runAt', () => queue.enqueue('note', {}, { runAt: runAt as Date }));
  });

  describe.each(UNPRINTABLE_IDS)('given %s as a batch id or a cron key', (_, id) => {
    it('retryBatch and cancelBatch reject with BatchNotFoundError, the cron actions with CronEntryNotFoundError', async () => {
      const before = await seeded.checksum.take();
      for (const call of [() => queue.retryBatch(id as string), () => queue.cancelBatch(id as string)]) {
        expect(await rejectionOf(call())).toBeInstanceOf(BatchNotFoundError);
      }
      for (const call of [
        () => queue.enableCron(id as string),
        () => queue.disableCron(id as string),
        () => queue.runCronNow(id as string),
      ]) {
        expect(await rejectionOf(call())).toBeInstanceOf(CronEntryNotFoundError);
      }
      expect(await seeded.checksum.take()).toEqual(before);
    });
  });

  it.each([
    ['a description with a NUL', 'description', { description: 'a\u0000b' }],
    ['properties with a NUL in a string', 'properties', { properties: { note: 'a\u0000b' } }],
    ['properties with a NUL in a key', 'properties', { properties: { 'k\u0000': 1 } }],
    ['a callbackQueue that is a Symbol', 'callbackQueue', { callbackQueue: Symbol('queue') }],
    ['a callbackQueue that is a byte array printing as a valid name', 'callbackQueue', { callbackQueue: Uint8ClampedArray.from([0]) }],
  ])('rejects a batch with %s, naming %s, creating nothing', async (_, field, options) => {
    const before = await seeded.checksum.take();
    const error = await rejectionOf(queue.createBatch(options as never));
    expect(error).toBeInstanceOf(BatchOptionsInvalidError);
    expect(error.field).toBe(field);
    expect(await seeded.checksum.take()).toEqual(before);
  });

  it('rejects batch properties with a NUL on update, leaving the batch as it was', async () => {
    const batch = await queue.createBatch({ properties: { step: 1 } });
    const error = await rejectionOf(batch.update({ properties: { note: 'a\u0000b' } }));
    expect(error).toBeInstanceOf(BatchOptionsInvalidError);
    expect((await queue.getBatch(batch.id))!.properties).toEqual({ step: 1 });
  });

  describe('completeToken', () => {
    it('rejects a token with a NUL, naming token', async () => {
      await expectInvalid('token', () => queue.completeToken('a\u0000b', {}));
    });

    it.each([
      ['a NUL in a key', { 'k\u0000': 1 }],
      ['a NUL in a string', { note: 'a\u0000b' }],
      ['an unpaired surrogate', 'x\udfff'],
      ['NaN', { n: Number.NaN }],
    ])('rejects data with %s, naming data, and the waiting job keeps waiting', async (_, data) => {
      const token = `regression-${randomUUID()}`;
      const waiting = await seeded.seeder.queue.enqueue('awaits-token', { token });
      expect(waiting.status).toBe('waiting');
      await expectInvalid('data', () => queue.completeToken(token, data));
      expect((await queue.getJob(waiting.id))!.status).toBe('waiting');
      expect(await queue.completeToken(token, { fine: true })).toBe(1);
    });
  });

  describe('listJobs', () => {
    it.each([
      ['null', 'filter', null],
      ['a string', 'filter', 'failed'],
      ['a queue with a NUL', 'queue', { queue: 'a\u0000b' }],
      ['a job type with an unpaired surrogate', 'jobType', { jobType: 'note\ud800' }],
      ['a tag with a NUL', 'tags', { tags: ['fuzz', '\u0000'] }],
      ['a cursor that is not a string', 'cursor', { cursor: Object.create(null) }],
      ['a status that cannot be printed', 'status', { status: [Object.create(null)] }],
    ])('rejects a filter that is or has %s, naming %s', async (_, field, filter) => {
      await expectInvalid(field, () => queue.listJobs(filter as never));
    });
  });
});

describe('the dashboard, on the fuzzers’ counterexamples', () => {
  let seeded: SeededQueue;
  let client: DashboardClient;

  beforeAll(async () => {
    seeded = await startSeededQueue();
    client = await new DashboardClient(seeded.dash.baseUrl).session();
  });

  afterAll(async () => {
    await seeded?.close();
  });

  it.each(['queue', 'jobType', 'tag', 'search'])('opens the jobs page with a NUL in ?%s=, dropping that filter', async (field) => {
    expect((await client.page(`/jobs?${field}=a%00b`)).status).toBe(200);
  });

  it.each(['0', '1', '2020-02-30', '0000-12-31T23:59:59.999Z', '+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z'])(
    'opens the batches page with a cursor whose date is %s',
    async (at) => {
      const cursor = Buffer.from(JSON.stringify({ at, id: randomUUID() })).toString('base64url');
      expect((await client.page(`/batches?cursor=${cursor}`)).status).toBe(200);
    },
  );

  it('answers 400 to a reschedule whose runAt nests 5,000 arrays, changing nothing', async () => {
    // Written out by hand: JSON.stringify of 5,000 nested arrays overflows this test's own stack.
    const body = `{"action":"reschedule","filter":{"all":true},"runAt":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const before = await seeded.checksum.take();
    const answer = await fetch(`${seeded.dash.baseUrl}/actions/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dataqueue-csrf': client.token!, cookie: client.cookie! },
      body,
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { message: string }).message).toMatch(/runAt must be a Date or a date string/);
    expect(await seeded.checksum.take()).toEqual(before);
  });
});
