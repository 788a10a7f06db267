import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
  type Provider,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DataQueueMetricsModule, DataQueueModule, DataQueueOptionsInvalidError, JobHandler, QueueService } from '@dataqueue/nestjs';
import type { DataQueueMetricsOptions, DataQueueModuleOptions, JobToEnqueue } from '@dataqueue/nestjs';
import { rejectionOf } from './support/rejection.js';
import { waitForStatus } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

@JobHandler('measured', { maxAttempts: 1 })
class MeasuredHandler {
  handle(payload: { fail?: boolean }): string {
    if (payload.fail) throw new Error('no');
    return 'ok';
  }
}

/** The app's own configuration, injected into its guard. */
@Injectable()
class ScrapeConfig {
  readonly token = 'scrape-secret';
}

/** Lets in the scrapes that carry the configured bearer token (Prometheus' `authorization`). */
@Injectable()
class ScrapeTokenGuard implements CanActivate {
  constructor(private readonly config: ScrapeConfig) {}

  canActivate(context: ExecutionContext): boolean {
    return authorizationOf(context) === `Bearer ${this.config.token}`;
  }
}

function authorizationOf(context: ExecutionContext): string | undefined {
  return context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization;
}

interface MetricsApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  close(): Promise<void>;
}

/** An HTTP app with DataQueue and the given metrics module, on an ephemeral port of 127.0.0.1. */
async function serveMetrics(
  metrics: DynamicModule,
  { options = {}, providers = [] }: { options?: DataQueueModuleOptions; providers?: Provider[] } = {},
): Promise<MetricsApp> {
  const ownsSchema = options.schema === undefined;
  const schema = options.schema ?? uniqueSchema('metrics');
  const moduleRef = await Test.createTestingModule({
    imports: [DataQueueModule.forRoot({ url: databaseUrl(), pollIntervalMs: 100, shutdownTimeoutMs: 500, ...options, schema }), metrics],
    providers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    origin: await app.getUrl(),
    async close() {
      await app.close();
      if (ownsSchema) await dropSchema(schema);
    },
  };
}

describe('Prometheus metrics', () => {
  let served: MetricsApp;

  beforeAll(async () => {
    served = await serveMetrics(DataQueueMetricsModule.forRoot({ path: 'ops/metrics', public: true }), { providers: [MeasuredHandler] });
  });

  afterAll(async () => {
    await served?.close();
  });

  it("exposes unfinished jobs by queue and state, latency, batches, workers and this process's attempt durations", async () => {
    const queue = served.app.get(QueueService);
    const done = await queue.enqueue('measured', {});
    const failed = await queue.enqueue('measured', { fail: true });
    await queue.enqueue('measured', {}, { queue: 'later', delayMs: 3_600_000 });
    await waitForStatus(queue, done.id, 'completed');
    await waitForStatus(queue, failed.id, 'failed');

    const response = await fetch(`${served.origin}/ops/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE dataqueue_jobs gauge');
    expect(text).toContain('dataqueue_jobs{queue="later",state="pending"} 1');
    expect(text).toContain('dataqueue_workers 1');
    expect(text).toContain('dataqueue_batches_running 0');
    expect(text).toContain('# TYPE dataqueue_job_duration_seconds histogram');
    expect(text).toMatch(/dataqueue_job_duration_seconds_count\{job_type="measured",outcome="completed"\} 1/);
    expect(text).toMatch(/dataqueue_job_duration_seconds_count\{job_type="measured",outcome="handler_error"\} 1/);
    expect(text).toMatch(/dataqueue_job_duration_seconds_bucket\{job_type="measured",outcome="completed",le="\+Inf"\} 1/);
  });

  it('reads its gauges from a schema named like an SQL keyword (the identifier is quoted)', async () => {
    const schema = 'order';
    await dropSchema(schema); // left over by an interrupted run
    const keyword = await serveMetrics(DataQueueMetricsModule.forRoot({ public: true }), {
      options: { schema, mode: 'external' },
      providers: [MeasuredHandler],
    });
    try {
      await keyword.app.get(QueueService).enqueue('measured', {}, { queue: 'keyword', delayMs: 3_600_000 });
      const response = await fetch(`${keyword.origin}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('dataqueue_jobs{queue="keyword",state="pending"} 1');
    } finally {
      await keyword.close();
      await dropSchema(schema);
    }
  });
});

describe('fair-key metrics', () => {
  let served: MetricsApp;
  let text: string;

  /** `count` jobs of `queue` under `fairKey` (undefined: the default key); nothing runs them (mode 'external'). */
  const jobs = (queue: string, fairKey: string | undefined, count: number): JobToEnqueue[] =>
    Array.from({ length: count }, () => ({ jobType: 'measured', payload: {}, options: { queue, ...(fairKey ? { fairKey } : {}) } }));
  /** The samples of `metric` for `queue`, as exposition lines. */
  const linesOf = (metric: string, queue: string) => text.split('\n').filter((line) => line.startsWith(`${metric}{queue="${queue}"`));

  beforeAll(async () => {
    served = await serveMetrics(DataQueueMetricsModule.forRoot({ public: true, fairKeysPerQueue: 3 }), {
      options: { mode: 'external' },
      providers: [MeasuredHandler],
    });
    await served.app
      .get(QueueService)
      .enqueueMany([
        ...jobs('tenants', 'we"ird\\key', 7),
        ...jobs('tenants', undefined, 6),
        ...jobs('tenants', 'other', 5),
        ...jobs('tenants', 'a', 4),
        ...jobs('tenants', 'b', 3),
        ...jobs('tenants', 'c', 1),
        ...Array.from({ length: 500 }, (_, i) => jobs('crowd', `tenant-${i}`, 1)).flat(),
        ...jobs('plain', undefined, 2),
      ]);
    const response = await fetch(`${served.origin}/metrics`);
    expect(response.status).toBe(200);
    text = await response.text();
  });

  afterAll(async () => {
    await served?.close();
  });

  it('gives the top fairKeysPerQueue keys of a queue a series each, the default key its own group, and sums the others', () => {
    expect(text).toContain('# HELP dataqueue_fair_key_backlog ');
    expect(text).toContain('# TYPE dataqueue_fair_key_backlog gauge');
    expect(text).toContain('# TYPE dataqueue_fair_key_running gauge');
    expect(text).toContain('# TYPE dataqueue_fair_keys gauge');
    expect(linesOf('dataqueue_fair_key_backlog', 'tenants')).toEqual([
      'dataqueue_fair_key_backlog{queue="tenants",fair_key="we\\"ird\\\\key"} 7',
      'dataqueue_fair_key_backlog{queue="tenants",fair_key_group="default"} 6',
      'dataqueue_fair_key_backlog{queue="tenants",fair_key="other"} 5',
      'dataqueue_fair_key_backlog{queue="tenants",fair_key_group="other"} 8',
    ]);
    expect(linesOf('dataqueue_fair_key_running', 'tenants')).toEqual([
      'dataqueue_fair_key_running{queue="tenants",fair_key="we\\"ird\\\\key"} 0',
      'dataqueue_fair_key_running{queue="tenants",fair_key_group="default"} 0',
      'dataqueue_fair_key_running{queue="tenants",fair_key="other"} 0',
      'dataqueue_fair_key_running{queue="tenants",fair_key_group="other"} 0',
    ]);
    expect(linesOf('dataqueue_fair_keys', 'tenants')).toEqual(['dataqueue_fair_keys{queue="tenants"} 6']);
  });

  it("never gives a tenant's key the labels of the summed series, even a tenant called 'other'", () => {
    expect(text).toContain('dataqueue_fair_key_backlog{queue="tenants",fair_key="other"} 5');
    expect(text).toContain('dataqueue_fair_key_backlog{queue="tenants",fair_key_group="other"} 8');
    const labelSets = text
      .split('\n')
      .filter((line) => line.startsWith('dataqueue_fair_key_backlog{'))
      .map((line) => line.split(' ')[0]);
    expect(new Set(labelSets).size).toBe(labelSets.length);
  });

  it('bounds the series of a queue with 500 keys to fairKeysPerQueue + 1', () => {
    expect(linesOf('dataqueue_fair_key_backlog', 'crowd')).toEqual([
      'dataqueue_fair_key_backlog{queue="crowd",fair_key="tenant-0"} 1',
      'dataqueue_fair_key_backlog{queue="crowd",fair_key="tenant-1"} 1',
      'dataqueue_fair_key_backlog{queue="crowd",fair_key="tenant-10"} 1',
      'dataqueue_fair_key_backlog{queue="crowd",fair_key_group="other"} 497',
    ]);
    expect(linesOf('dataqueue_fair_key_running', 'crowd')).toHaveLength(4);
    expect(linesOf('dataqueue_fair_keys', 'crowd')).toEqual(['dataqueue_fair_keys{queue="crowd"} 500']);
  });

  it('has no fair-key series for a queue without keyed work', () => {
    expect(text).toContain('dataqueue_jobs{queue="plain",state="pending"} 2');
    for (const metric of ['dataqueue_fair_key_backlog', 'dataqueue_fair_key_running', 'dataqueue_fair_keys']) {
      expect(linesOf(metric, 'plain')).toEqual([]);
    }
  });
});

describe('access to the metrics', () => {
  const schema = uniqueSchema('metrics');
  const apps: MetricsApp[] = [];
  const serve = async (metrics: DynamicModule, providers: Provider[] = []) => {
    const served = await serveMetrics(metrics, { options: { schema, mode: 'external' }, providers });
    apps.push(served);
    return served;
  };
  const scrape = (served: MetricsApp, authorization?: string) =>
    fetch(`${served.origin}/metrics`, { headers: authorization ? { authorization } : {} });

  afterAll(async () => {
    for (const served of apps) await served.close();
    await dropSchema(schema);
  });

  it('is closed by default: every scrape is a 403 that says how to open it, with no metric in it', async () => {
    const closed = await serve(DataQueueMetricsModule.forRoot({}));
    for (const authorization of [undefined, 'Bearer anything']) {
      const response = await scrape(closed, authorization);
      expect(response.status).toBe(403);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({
        statusCode: 403,
        message: 'The DataQueue metrics are closed: configure DataQueueMetricsModule with a guard, or public: true.',
      });
      expect(body).not.toContain('dataqueue_');
    }
  });

  it("opens to the scrapes the host's guard class lets in, resolved with the app's providers, and refuses the others with a 403", async () => {
    const guarded = await serve(DataQueueMetricsModule.forRoot({ guard: ScrapeTokenGuard }), [ScrapeConfig, ScrapeTokenGuard]);
    const allowed = await scrape(guarded, 'Bearer scrape-secret');
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('# TYPE dataqueue_jobs gauge');
    for (const authorization of ['Bearer guess', undefined]) {
      const refused = await scrape(guarded, authorization);
      expect({ authorization, status: refused.status }).toEqual({ authorization, status: 403 });
      expect(await refused.text()).not.toContain('dataqueue_');
    }
  });

  it('accepts a guard instance', async () => {
    const guard: CanActivate = { canActivate: (context) => authorizationOf(context) === 'Bearer let-me-in' };
    const guarded = await serve(DataQueueMetricsModule.forRoot({ path: 'internal/metrics', guard }));
    const at = (authorization?: string) => fetch(`${guarded.origin}/internal/metrics`, { headers: authorization ? { authorization } : {} });
    expect((await at('Bearer let-me-in')).status).toBe(200);
    expect((await at('Bearer guess')).status).toBe(403);
    expect((await at()).status).toBe(403);
  });

  it('takes its options from forRootAsync, its path from the registration', async () => {
    const open = await serve(
      DataQueueMetricsModule.forRootAsync({ path: 'async-metrics', useFactory: (): DataQueueMetricsOptions => ({ public: true }) }),
    );
    expect((await fetch(`${open.origin}/async-metrics`)).status).toBe(200);
  });

  describe('options checked at boot', () => {
    let dataSource: DataSource;

    beforeAll(async () => {
      // The app's own DataSource, already connected: DataQueue opens nothing of its own that a
      // failed boot would leave behind.
      dataSource = await new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 1 }).initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    const bootFailure = (metrics: DynamicModule) =>
      rejectionOf(
        Test.createTestingModule({
          imports: [DataQueueModule.forRoot({ dataSource, schema, mode: 'external', autoMigrate: false }), metrics],
        }).compile(),
      );

    it.each<[option: string, options: Record<string, unknown>]>([
      ['metrics.public', { guard: ScrapeTokenGuard, public: true }],
      ['metrics.public', { public: 'yes' }],
      ['metrics.guard', { guard: 'admins only' }],
      ['metrics.guard', { guard: null }],
      ['metrics.fairKeysPerQueue', { public: true, fairKeysPerQueue: -1 }],
      ['metrics.fairKeysPerQueue', { public: true, fairKeysPerQueue: 101 }],
      ['metrics.fairKeysPerQueue', { public: true, fairKeysPerQueue: 2.5 }],
      ['metrics.fairKeysPerQueue', { public: true, fairKeysPerQueue: '10' }],
    ])('fail it with DataQueueOptionsInvalidError naming %s (%p)', async (option, options) => {
      const error = await bootFailure(DataQueueMetricsModule.forRoot(options));
      expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
      expect(error.option).toBe(option);
      expect(error.message).toContain(option);
    });

    it('include those forRootAsync builds', async () => {
      const error = await bootFailure(
        DataQueueMetricsModule.forRootAsync({ useFactory: (): DataQueueMetricsOptions => ({ guard: ScrapeTokenGuard, public: true }) }),
      );
      expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
      expect(error.option).toBe('metrics.public');
      expect(error.message).toContain('cannot be combined with guard');
    });
  });
});
