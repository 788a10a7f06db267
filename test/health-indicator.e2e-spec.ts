import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { DataQueueHealthIndicator, DataQueueModule } from '@dataqueue/nestjs';
import { TcpProxy } from './support/tcp-proxy.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

/** The host app's terminus controller, as the README shows it. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataQueue: DataQueueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.dataQueue.isHealthy('dataqueue')]);
  }
}

interface HealthBody {
  status: string;
  info?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

describe('the @nestjs/terminus health indicator', () => {
  const schema = uniqueSchema();
  let proxy: TcpProxy;
  let app: INestApplication | undefined;
  let base: string;

  const probe = async (): Promise<{ code: number; body: HealthBody }> => {
    const response = await fetch(`${base}/health`);
    return { code: response.status, body: (await response.json()) as HealthBody };
  };

  beforeAll(async () => {
    // DataQueue reaches Postgres through a relay the test can cut; the app itself keeps serving HTTP.
    proxy = await TcpProxy.start(databaseUrl());
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        DataQueueModule.forRoot({
          url: proxy.urlFor(databaseUrl()),
          schema,
          pollIntervalMs: 100,
          heartbeatIntervalMs: 200,
          workerTimeoutMs: 5000,
          shutdownTimeoutMs: 500,
        }),
      ],
      controllers: [HealthController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await app?.close();
    await proxy?.down();
    await dropSchema(schema);
  });

  it('reports up with the details while the database answers, LISTEN is connected and heartbeats are fresh', async () => {
    const { code, body } = await probe();
    expect(code).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      info: { dataqueue: { status: 'up', database: 'up', listening: true, heartbeatAgeMs: expect.any(Number) } },
    });
  });

  it('answers 503 while the database is unreachable, and 200 again once it is back', async () => {
    await proxy.down();
    const { code, body } = await probe();
    expect(code).toBe(503);
    expect(body).toMatchObject({ status: 'error', error: { dataqueue: { status: 'down', database: 'down' } } });

    await proxy.up();
    const recovered = await waitFor('the probe to answer 200 again', probe, (result) => result.code === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect(recovered.body).toMatchObject({ info: { dataqueue: { status: 'up', listening: true } } });
  });
});
