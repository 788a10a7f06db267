import { describe, expect, it } from '@jest/globals';
import { parseWorkerSettings } from './worker-options.js';

describe('standalone worker settings', () => {
  it('reads flags before environment variables', () => {
    const settings = parseWorkerSettings(['--queues', 'mail:2;*:5', '--health-port', '8081', '--module', 'dist/jobs.js#Jobs'], {
      DATABASE_URL: 'postgres://db/app',
      DQ_QUEUES: '*:1',
      DQ_SCHEMA: 'jobs',
    });
    expect(settings).toEqual({
      queue: {
        url: 'postgres://db/app',
        mode: 'async',
        queues: 'mail:2;*:5',
        schema: 'jobs',
        shutdownTimeoutMs: undefined,
        pollIntervalMs: undefined,
      },
      healthPort: 8081,
      healthHost: null,
      module: 'dist/jobs.js#Jobs',
    });
  });

  it('listens for health probes on every interface unless --health-host (or DQ_HEALTH_HOST) names one', () => {
    expect(parseWorkerSettings(['--health-port', '8081'], {}).healthHost).toBeNull();
    expect(parseWorkerSettings(['--health-port', '8081', '--health-host', '127.0.0.1'], { DQ_HEALTH_HOST: '10.0.0.5' }).healthHost).toBe(
      '127.0.0.1',
    );
    expect(parseWorkerSettings([], { DQ_HEALTH_PORT: '8081', DQ_HEALTH_HOST: '::1' }).healthHost).toBe('::1');
    expect(parseWorkerSettings([], { DQ_HEALTH_PORT: '8081', DQ_HEALTH_HOST: '' }).healthHost).toBeNull();
  });

  it('rejects a health host without a health port (there would be no probe to bind)', () => {
    expect(() => parseWorkerSettings(['--health-host', '127.0.0.1'], {})).toThrow('--health-host needs --health-port');
    expect(() => parseWorkerSettings([], { DQ_HEALTH_HOST: '127.0.0.1' })).toThrow('--health-host needs --health-port');
  });

  it('turns --concurrency into one pool for every queue', () => {
    expect(parseWorkerSettings(['--concurrency', '8'], {}).queue.queues).toBe('*:8');
    expect(parseWorkerSettings([], { DQ_CONCURRENCY: '3' }).queue.queues).toBe('*:3');
  });

  it('rejects unknown flags and bad numbers, showing the usage', () => {
    expect(() => parseWorkerSettings(['--nope'], {})).toThrow();
    expect(() => parseWorkerSettings(['--health-port', 'x'], {})).toThrow('--health-port must be a non-negative integer');
    expect(() => parseWorkerSettings(['--help'], {})).toThrow('data-queue worker');
  });
});
