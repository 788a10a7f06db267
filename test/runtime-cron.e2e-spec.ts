import { afterEach, describe, expect, it } from '@jest/globals';
import {
  CronEntryDeclaredInCodeError,
  CronEntryInvalidError,
  JobHandler,
  JobPayloadInvalidError,
  JobTypeNotPublishedError,
  JobTypeUnknownError,
  type CronEntryDefinition,
  type DataQueueModuleOptions,
  type JobRecord,
  type QueueService,
} from '@dataqueue/nestjs';
import { IsString } from 'class-validator';
import { startCluster, type Cluster } from './support/cluster.js';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

class ReportPayload {
  @IsString() tenant!: string;
}

@JobHandler('report', { payload: ReportPayload })
class ReportHandler {
  handle(): void {}
}

const EVERY_SECOND = '* * * * * *';

async function cronJobsOf(queue: QueueService, key: string, jobType: string): Promise<JobRecord[]> {
  const { jobs } = await queue.listJobs({ jobType, limit: 1000 });
  return jobs.filter((job) => job.cronKey === key).sort((a, b) => a.cronAt!.getTime() - b.cronAt!.getTime());
}

const ticksOf = (jobs: JobRecord[]) => jobs.map((job) => job.cronAt!.getTime());

describe('runtime cron across worker processes', () => {
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /** Two worker processes ticking; the producer enqueues only and runs no cron. */
  async function twoWorkers(): Promise<Cluster> {
    cluster = await startCluster({ workers: 2, producer: { options: { runCron: false } } });
    return cluster;
  }

  const tenantJobs = (key: string) => cronJobsOf(cluster!.producer.queue, key, 'tally');

  it('ticks an entry an enqueue-only app created: one job per tick, each run once', async () => {
    const { producer, tally } = await twoWorkers();
    const entry = await producer.queue.upsertCron({
      key: 'tenant-1',
      schedule: EVERY_SECOND,
      jobType: 'tally',
      payload: { label: 'tenant-1' },
    });
    expect(entry).toMatchObject({ key: 'tenant-1', source: 'runtime', enabled: true, timezone: 'UTC', jobType: 'tally' });

    const completed = await waitFor(
      'four completed ticks',
      async () => (await producer.queue.listJobs({ jobType: 'tally', status: 'completed', limit: 1000 })).jobs,
      (jobs) => jobs.length >= 4,
      { timeoutMs: 20_000 },
    );
    const ticks = ticksOf(completed);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.every((tick) => tick % 1000 === 0 && tick > entry.scheduledSince.getTime())).toBe(true);
    expect(completed.every((job) => job.cronKey === 'tenant-1')).toBe(true);
    const runs = await tally.runsPerJob();
    for (const job of completed) expect(runs.get(job.id)).toBe(1);
    // The workers heard of the entry at once (NOTIFY), not at their next periodic reload.
    const [first] = await tenantJobs('tenant-1');
    expect(first.createdAt.getTime() - first.cronAt!.getTime()).toBeLessThan(1000);
  });

  it('applies a schedule change from its next tick, and stops ticking everywhere once removed', async () => {
    const { producer } = await twoWorkers();
    await producer.queue.upsertCron({ key: 'tenant-2', schedule: EVERY_SECOND, jobType: 'tally', payload: {} });
    await waitFor(
      'two ticks',
      () => tenantJobs('tenant-2'),
      (jobs) => jobs.length >= 2,
      { timeoutMs: 15_000 },
    );

    const changed = await producer.queue.upsertCron({
      key: 'tenant-2',
      schedule: '*/3 * * * * *',
      jobType: 'tally',
      payload: { label: 'b' },
    });
    expect(changed.schedule).toBe('*/3 * * * * *');
    const since = changed.scheduledSince.getTime();
    const afterChange = await waitFor(
      'two ticks of the new schedule',
      async () => (await tenantJobs('tenant-2')).filter((job) => job.cronAt!.getTime() > since),
      (jobs) => jobs.length >= 2,
      { timeoutMs: 15_000 },
    );
    // Only ticks of the new schedule after the change, with its payload; none of the old one.
    expect(ticksOf(afterChange).every((tick) => new Date(tick).getUTCSeconds() % 3 === 0)).toBe(true);
    expect(afterChange.every((job) => (job.payload as { label?: string }).label === 'b')).toBe(true);

    expect(await producer.queue.removeCron('tenant-2')).toBe(true);
    const leftAtRemoval = (await tenantJobs('tenant-2')).length;
    // A witness entry ticking three times shows the workers kept ticking after the removal.
    await producer.queue.upsertCron({ key: 'witness', schedule: EVERY_SECOND, jobType: 'tally', payload: {} });
    await waitFor(
      'three ticks of the witness',
      () => tenantJobs('witness'),
      (jobs) => jobs.length >= 3,
      { timeoutMs: 15_000 },
    );
    expect((await tenantJobs('tenant-2')).length).toBe(leftAtRemoval);
    expect((await producer.queue.listCron()).map((entry) => entry.key)).toEqual(['witness']);
    expect(await producer.queue.removeCron('tenant-2')).toBe(false);
  });
});

describe('runtime cron', () => {
  const apps: TestApp[] = [];
  const schemas: string[] = [];

  async function start(schema: string, options: DataQueueModuleOptions = {}): Promise<TestApp> {
    const app = await createTestApp({ providers: [ReportHandler], options: { schema, ...options } });
    apps.push(app);
    return app;
  }

  function sharedSchema(): string {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema;
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  const report = (key: string, extra: Partial<CronEntryDefinition> = {}): CronEntryDefinition => ({
    key,
    schedule: EVERY_SECOND,
    jobType: 'report',
    payload: { tenant: key },
    ...extra,
  });

  it('an app started after the entry was created enqueues the ticks since its creation, once each', async () => {
    const schema = sharedSchema();
    const api = await start(schema, { mode: 'external', runCron: false });
    const created = await api.queue.upsertCron(report('late'));
    await waitFor(
      'three ticks with no app ticking',
      () => Date.now() - created.scheduledSince.getTime(),
      (ms) => ms >= 3500,
    );
    expect(await cronJobsOf(api.queue, 'late', 'report')).toEqual([]);

    await Promise.all([start(schema), start(schema)]);
    const jobs = await waitFor(
      'the missed ticks and a new one',
      () => cronJobsOf(api.queue, 'late', 'report'),
      (found) => found.length >= 4,
    );
    const ticks = ticksOf(jobs);
    // Every second from the first after its creation, none before it, none twice.
    expect(ticks[0]).toBe(Math.floor(created.scheduledSince.getTime() / 1000) * 1000 + 1000);
    ticks.forEach((tick, i) => i > 0 && expect(tick - ticks[i - 1]).toBe(1000));
  });

  it('refuses to change or remove an entry declared in code, which enable, disable and run now still act on', async () => {
    const app = await start(sharedSchema(), { cron: [report('declared', { schedule: '0 8 * * *' })] });
    const upsert = await rejectionOf(app.queue.upsertCron(report('declared')));
    expect(upsert).toBeInstanceOf(CronEntryDeclaredInCodeError);
    expect(upsert).toMatchObject({ key: 'declared' });
    expect(await rejectionOf(app.queue.removeCron('declared'))).toBeInstanceOf(CronEntryDeclaredInCodeError);
    expect((await app.queue.listCron())[0]).toMatchObject({ key: 'declared', source: 'code', schedule: '0 8 * * *' });

    expect(await app.queue.disableCron('declared')).toMatchObject({ enabled: false });
    expect(await app.queue.runCronNow('declared')).toMatchObject({ cronKey: 'declared', payload: { tenant: 'declared' } });
    expect(await app.queue.enableCron('declared')).toMatchObject({ enabled: true, source: 'code' });
  });

  it('enables, disables and runs a runtime entry; an upsert keeps it disabled', async () => {
    const app = await start(sharedSchema());
    await app.queue.upsertCron(report('tenant', { schedule: '0 8 * * *' }));
    expect(await app.queue.disableCron('tenant')).toMatchObject({ enabled: false, source: 'runtime' });
    expect(await app.queue.upsertCron(report('tenant', { schedule: '0 9 * * *' }))).toMatchObject({
      enabled: false,
      schedule: '0 9 * * *',
    });
    expect(await app.queue.runCronNow('tenant')).toMatchObject({ jobType: 'report', cronKey: 'tenant' });
    expect(await app.queue.enableCron('tenant')).toMatchObject({ enabled: true });
  });

  it('enqueues no tick of the time an entry was disabled once it is enabled again', async () => {
    const app = await start(sharedSchema());
    await app.queue.upsertCron(report('paused'));
    await waitFor(
      'a first tick',
      () => cronJobsOf(app.queue, 'paused', 'report'),
      (jobs) => jobs.length >= 1,
    );
    await app.queue.disableCron('paused');
    const disabledAt = new Date(); // a tick before it may have been enqueued still
    await waitFor(
      'two ticks of the schedule while disabled',
      () => Date.now() - disabledAt.getTime(),
      (ms) => ms >= 2500,
    );
    const enabledAt = new Date(); // the entry was disabled all along from disabledAt to here
    await app.queue.enableCron('paused');
    const jobs = await waitFor(
      'a tick after the re-enable',
      () => cronJobsOf(app.queue, 'paused', 'report'),
      (found) => found.some((job) => job.cronAt! > enabledAt),
    );
    expect(jobs.filter((job) => job.cronAt! > disabledAt && job.cronAt! < enabledAt)).toEqual([]);
  });

  it('hands a runtime entry over to code when a deploy declares its key', async () => {
    const schema = sharedSchema();
    const api = await start(schema, { runCron: false });
    await api.queue.upsertCron(report('nightly', { schedule: '0 3 * * *', payload: { tenant: 'runtime' } }));
    await start(schema, { cron: [report('nightly', { schedule: '0 4 * * *', payload: { tenant: 'code' } })] });
    expect((await api.queue.listCron())[0]).toMatchObject({ source: 'code', schedule: '0 4 * * *', payload: { tenant: 'code' } });
    expect(await rejectionOf(api.queue.upsertCron(report('nightly')))).toBeInstanceOf(CronEntryDeclaredInCodeError);
  });

  it('does not tick an entry declared in code by an app no longer running: code entries are ticked by their apps', async () => {
    const schema = sharedSchema();
    const old = await start(schema, { cron: [report('retired')] });
    await waitFor(
      'a tick of the declared entry',
      () => cronJobsOf(old.queue, 'retired', 'report'),
      (jobs) => jobs.length >= 1,
    );
    await old.close();
    const current = await start(schema);
    const before = (await cronJobsOf(current.queue, 'retired', 'report')).length;
    await current.queue.upsertCron(report('witness'));
    await waitFor(
      'three ticks of a runtime entry',
      () => cronJobsOf(current.queue, 'witness', 'report'),
      (jobs) => jobs.length >= 3,
    );
    expect((await cronJobsOf(current.queue, 'retired', 'report')).length).toBe(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an empty key', { key: '' }, 'key'],
    ['a key Postgres cannot store', { key: 'a\u0000b' }, 'key'],
    ['a bad expression', { schedule: '61 * * * *' }, 'schedule'],
    ['a schedule that is not a string', { schedule: 5 }, 'schedule'],
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone'],
    ['a bad priority', { options: { priority: 1.5 } }, 'options.priority'],
    ['an enqueue option a cron job cannot have', { options: { runAt: new Date() } }, 'options.runAt'],
    ['options that are not an object', { options: 'fast' }, 'options'],
    ['a payload JSON cannot hold', { payload: { n: 10n } }, 'payload'],
  ])('refuses %s, naming the field, and stores nothing', async (_case, change, field) => {
    const app = await start(sharedSchema());
    const error = await rejectionOf(app.queue.upsertCron({ ...report('bad'), ...change }));
    expect(error).toBeInstanceOf(CronEntryInvalidError);
    expect(error).toMatchObject({ field });
    expect(error.message).toContain(`${field} is invalid`);
    expect(await app.queue.listCron()).toEqual([]);
  });

  it('refuses an entry that is not an object, or whose key is not a string', async () => {
    const app = await start(sharedSchema());
    const notAnObject = await rejectionOf(app.queue.upsertCron('nightly' as unknown as CronEntryDefinition));
    expect(notAnObject).toBeInstanceOf(CronEntryInvalidError);
    expect(notAnObject).toMatchObject({
      key: null,
      field: '',
      message: expect.stringContaining('cron entry is invalid: must be an object'),
    });
    const numericKey = await rejectionOf(app.queue.upsertCron({ ...report('x'), key: 7 } as unknown as CronEntryDefinition));
    expect(numericKey).toMatchObject({ key: null, field: 'key' });
    expect(await app.queue.listCron()).toEqual([]);
  });

  it('checks the job as at enqueue: its type must be known, its payload valid', async () => {
    const strict = await start(sharedSchema());
    expect(await rejectionOf(strict.queue.upsertCron(report('x', { jobType: 'nobody' })))).toBeInstanceOf(JobTypeUnknownError);
    const invalid = await rejectionOf(strict.queue.upsertCron(report('x', { payload: { tenant: 42 } })));
    expect(invalid).toBeInstanceOf(JobPayloadInvalidError);
    expect(invalid.message).toContain('payload.tenant');

    const producer = await start(sharedSchema(), { mode: 'external', strictJobTypes: false, runCron: false });
    expect(await rejectionOf(producer.queue.upsertCron(report('x', { jobType: 'unpublished' })))).toBeInstanceOf(JobTypeNotPublishedError);
    expect(await strict.queue.listCron()).toEqual([]);
    expect(await producer.queue.listCron()).toEqual([]);
  });
});
