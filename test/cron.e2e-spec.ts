import { afterEach, describe, expect, it } from '@jest/globals';
import { DataQueueOptionsInvalidError, JobHandler, type CronEntryDefinition, type JobRecord } from '@dataqueue/nestjs';
import { startCluster } from './support/cluster.js';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

@JobHandler('beat')
class BeatHandler {
  handle(): void {}
}

@JobHandler('digest', { cron: { schedule: '0 8 * * *', timezone: 'Europe/Paris', payload: { kind: 'daily' } } })
class DigestHandler {
  handle(): void {}
}

const EVERY_SECOND = '* * * * * *';
const beat = (key: string): CronEntryDefinition => ({ key, schedule: EVERY_SECOND, jobType: 'beat', payload: { key } });

describe('cron', () => {
  const apps: TestApp[] = [];
  const schemas: string[] = [];

  /** Apps sharing `schema` behave like separate processes: own pools, own schedulers. */
  async function start(schema: string, cron: CronEntryDefinition[], extra: Record<string, unknown> = {}): Promise<TestApp> {
    const app = await createTestApp({ providers: [BeatHandler, DigestHandler], options: { schema, cron, ...extra } });
    apps.push(app);
    return app;
  }

  function sharedSchema(): string {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema;
  }

  async function jobsOf(app: TestApp, key: string): Promise<JobRecord[]> {
    const { jobs } = await app.queue.listJobs({ jobType: 'beat', limit: 1000 });
    return jobs.filter((job) => job.cronKey === key);
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it('enqueues exactly one job per tick however many processes tick the entry', async () => {
    const schema = sharedSchema();
    const [first] = [await start(schema, [beat('shared')]), await start(schema, [beat('shared')]), await start(schema, [beat('shared')])];
    const jobs = await waitFor(
      'four ticks of the shared entry',
      () => jobsOf(first, 'shared'),
      (found) => found.length >= 4,
    );
    const ticks = jobs.map((job) => job.cronAt!.getTime());
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.every((tick) => tick % 1000 === 0)).toBe(true); // the scheduled instants, not timer times
  });

  it('declares handler entries, lists entries with their next and last run, and persists enable/disable', async () => {
    const app = await start(sharedSchema(), [beat('clock'), beat('paused')]);
    const listed = await app.queue.listCron();
    expect(listed.map((entry) => entry.key)).toEqual(['clock', 'digest', 'paused']);
    const digest = listed.find((entry) => entry.key === 'digest')!;
    expect(digest).toMatchObject({
      schedule: '0 8 * * *',
      timezone: 'Europe/Paris',
      jobType: 'digest',
      payload: { kind: 'daily' },
      enabled: true,
    });
    // 08:00 in Paris is 07:00 UTC in winter, 06:00 UTC in summer.
    expect([6, 7]).toContain(digest.nextRunAt!.getUTCHours());

    expect(await app.queue.disableCron('paused')).toMatchObject({ enabled: false, nextRunAt: null });
    const before = (await jobsOf(app, 'paused')).length;
    const clockBefore = (await jobsOf(app, 'clock')).length;
    await waitFor(
      'two more ticks of the clock entry',
      () => jobsOf(app, 'clock'),
      (jobs) => jobs.length >= clockBefore + 2,
    );
    expect((await jobsOf(app, 'paused')).length).toBe(before);
    expect((await app.queue.listCron()).find((entry) => entry.key === 'paused')!.enabled).toBe(false);

    const ranNow = await app.queue.runCronNow('paused');
    expect(ranNow).toMatchObject({ jobType: 'beat', cronKey: 'paused', payload: { key: 'paused' } });
    await app.queue.enableCron('paused');
    await waitFor(
      'the re-enabled entry to tick',
      () => jobsOf(app, 'paused'),
      (jobs) => jobs.length >= before + 2,
    );
    await expect(app.queue.enableCron('nope')).rejects.toThrow('cron entry "nope" does not exist');
  });

  it('catches up nothing for an entry declared for the first time', async () => {
    const app = await start(sharedSchema(), [beat('fresh')], { cronCatchUpMs: 60_000 });
    const [entry] = (await app.queue.listCron()).filter((listed) => listed.key === 'fresh');
    const jobs = await waitFor(
      'two ticks of the new entry',
      () => jobsOf(app, 'fresh'),
      (found) => found.length >= 2,
    );
    expect(jobs.filter((job) => job.cronAt! < entry.createdAt)).toEqual([]);
  });

  it('after downtime, enqueues the ticks missed within the catch-up window, once each', async () => {
    const schema = sharedSchema();
    const first = await start(schema, [beat('catch-up')]);
    await waitFor(
      'a first tick',
      () => jobsOf(first, 'catch-up'),
      (jobs) => jobs.length >= 1,
    );
    await first.close();
    const { lastRunAt } = (await (await start(schema, [], { runCron: false })).queue.listCron())[0];
    const down = apps.at(-1)!;
    // Down for at least three ticks (waiting on the clock, not sleeping blindly).
    await waitFor(
      'three ticks of downtime',
      () => Date.now() - lastRunAt!.getTime(),
      (ms) => ms >= 3500,
    );

    await start(schema, [beat('catch-up')], { cronCatchUpMs: 60_000 });
    const jobs = await waitFor(
      'the missed ticks',
      () => jobsOf(down, 'catch-up'),
      (found) => found.some((job) => job.cronAt! > lastRunAt!),
    );
    const ticks = jobs.map((job) => job.cronAt!.getTime()).sort((a, b) => a - b);
    expect(new Set(ticks).size).toBe(ticks.length);
    const missed = ticks.filter((tick) => tick > lastRunAt!.getTime());
    // Every second between the last tick before the downtime and the restart, with no gap.
    expect(missed.length).toBeGreaterThanOrEqual(3);
    missed.forEach((tick, i) => expect(tick - (i === 0 ? lastRunAt!.getTime() : missed[i - 1])).toBe(1000));
  });

  it.each([
    [{ key: 'bad', schedule: '61 * * * *', jobType: 'beat' }, 'cron[bad].schedule'],
    [{ key: 'zone', schedule: '* * * * *', timezone: 'Mars/Olympus', jobType: 'beat' }, 'cron[zone].timezone'],
    [{ key: 'opts', schedule: '* * * * *', jobType: 'beat', options: { priority: 1.5 } }, 'cron[opts].options.priority'],
  ])('fails boot naming the entry for %p', async (entry, option) => {
    const error = await rejectionOf(start(sharedSchema(), [entry]));
    expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
    expect(error.message).toContain(`"${option}"`);
  });
});

describe('cron across worker processes', () => {
  it('three processes ticking one entry enqueue one job per tick, each run once', async () => {
    const cluster = await startCluster({ workers: 3, env: { DQ_CRON_EVERY_SECOND: '1' }, producer: { options: { runCron: false } } });
    const { producer: observer, tally } = cluster;
    try {
      const jobs = await waitFor(
        'four completed ticks',
        async () => (await observer.queue.listJobs({ jobType: 'tally', status: 'completed', limit: 1000 })).jobs,
        (found) => found.length >= 4,
        { timeoutMs: 20_000 },
      );
      const ticks = jobs.map((job) => job.cronAt!.toISOString());
      expect(new Set(ticks).size).toBe(ticks.length);
      const runs = await tally.runsPerJob();
      for (const job of jobs) expect(runs.get(job.id)).toBe(1);
    } finally {
      await cluster.close();
    }
  });
});
