import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import type { WorkerHealth, WorkerHealthCheck } from '../health/worker-health.js';
import { HealthServer, type HealthServerOptions } from './health-server.js';

const HEALTHY: WorkerHealth = { healthy: true, database: 'up', listening: true, heartbeatAgeMs: 120 };
const UNHEALTHY: WorkerHealth = { healthy: false, database: 'down', listening: false, heartbeatAgeMs: 9000 };

/** What the server logged, through Nest's Logger. */
const logged: { level: string; message: string }[] = [];
const capture = (level: string) => (message: unknown) => void logged.push({ level, message: String(message) });
const logger: LoggerService = { log: capture('log'), error: capture('error'), warn: capture('warn') };

interface RunningProbe {
  server: HealthServer;
  /** The address the log line announced, e.g. `127.0.0.1` or `[::]`. */
  address: string;
  /** `http://127.0.0.1:<port>`: reachable whichever address it listens on. */
  origin: string;
}

describe('the standalone worker health probe (HealthServer)', () => {
  const running: HealthServer[] = [];
  let answer: () => Promise<WorkerHealth> = async () => HEALTHY;
  const health = { check: () => answer() } as unknown as WorkerHealthCheck;

  const start = async (host: HealthServerOptions['host']): Promise<RunningProbe> => {
    const server = new HealthServer({ port: 0, host }, health);
    const before = logged.length;
    await server.onApplicationBootstrap();
    running.push(server);
    const line = logged.slice(before).find(({ message }) => message.startsWith('health probe listening on'));
    const [, address, port] = /^health probe listening on (.+):(\d+) \(GET \/health\)$/.exec(line?.message ?? '') ?? [];
    if (!port) throw new Error(`no "listening on" log line; logged: ${JSON.stringify(logged.slice(before))}`);
    return { server, address, origin: `http://127.0.0.1:${port}` };
  };

  beforeAll(() => Logger.overrideLogger(logger));
  afterEach(async () => {
    answer = async () => HEALTHY;
    for (const server of running.splice(0)) await server.onApplicationShutdown();
  });
  afterAll(() => Logger.overrideLogger(false));

  it('answers GET /health with 200 and the report while healthy, 503 while not', async () => {
    const { origin } = await start('127.0.0.1');
    const healthy = await fetch(`${origin}/health`);
    expect(healthy.status).toBe(200);
    expect(healthy.headers.get('content-type')).toBe('application/json');
    expect(await healthy.json()).toEqual(HEALTHY);

    answer = async () => UNHEALTHY;
    const unhealthy = await fetch(`${origin}/health`);
    expect(unhealthy.status).toBe(503);
    expect(await unhealthy.json()).toEqual(UNHEALTHY);
  });

  it('answers a check that throws with a 503 and a JSON error body, and logs the reason instead of sending it', async () => {
    const { origin } = await start('127.0.0.1');
    answer = async () => {
      throw new Error('connection to 10.0.0.7:5432 reset');
    };
    const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ healthy: false, error: 'the health check failed' });
    expect(body).not.toContain('10.0.0.7');
    expect(logged).toContainEqual({ level: 'error', message: 'health check failed: Error: connection to 10.0.0.7:5432 reset' });

    answer = async () => HEALTHY;
    expect((await fetch(`${origin}/health`)).status).toBe(200); // still serving
  });

  it('answers HEAD /health with the same status and no body', async () => {
    const { origin } = await start('127.0.0.1');
    const healthy = await fetch(`${origin}/health`, { method: 'HEAD' });
    expect(healthy.status).toBe(200);
    expect(await healthy.text()).toBe('');
    answer = async () => UNHEALTHY;
    expect((await fetch(`${origin}/health`, { method: 'HEAD' })).status).toBe(503);
  });

  it('answers 404 for any other path and 405 (Allow: GET, HEAD) for any other method', async () => {
    const { origin } = await start('127.0.0.1');
    for (const path of ['/', '/healthz', '/health/x', '/metrics']) {
      expect({ path, status: (await fetch(`${origin}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(`${origin}/health?verbose=1`)).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${origin}/health`, { method });
      expect({ method, status: response.status, allow: response.headers.get('allow') }).toEqual({
        method,
        status: 405,
        allow: 'GET, HEAD',
      });
    }
  });

  it('listens on every interface by default and logs the address it is bound to', async () => {
    const { address, origin } = await start(null);
    expect(['[::]', '0.0.0.0']).toContain(address);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it('listens on the configured host only, and logs that address', async () => {
    const { address, origin } = await start('127.0.0.1');
    expect(address).toBe('127.0.0.1');
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const port = new URL(origin).port;
    await expect(fetch(`http://[::1]:${port}/health`)).rejects.toThrow('fetch failed');
  });
});
