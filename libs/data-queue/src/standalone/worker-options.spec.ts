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
      queue: { url: 'postgres://db/app', mode: 'async', queues: 'mail:2;*:5', schema: 'jobs', shutdownTimeoutMs: undefined, pollIntervalMs: undefined },
      healthPort: 8081,
      module: 'dist/jobs.js#Jobs',
    });
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
