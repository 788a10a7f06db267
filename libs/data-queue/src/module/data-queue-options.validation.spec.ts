import { describe, expect, it } from '@jest/globals';
import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';
import { resolveDataQueueOptions } from './data-queue-options.validation.js';

const url = 'postgres://localhost/db';

describe('module options', () => {
  it('fills in every default', () => {
    expect(resolveDataQueueOptions({ url })).toMatchObject({
      schema: 'data_queue',
      autoMigrate: true,
      mode: 'async',
      queues: '*:5',
      pollIntervalMs: 1000,
      shutdownTimeoutMs: 10_000,
      defaultMaxAttempts: 3,
      defaultBackoff: { baseMs: 1000, factor: 2, maxMs: 3_600_000, jitter: 0.2 },
      strictJobTypes: true,
      directUrl: undefined,
      listen: true,
      preparedStatements: true,
    });
  });

  it.each([
    [{ url: 'mysql://x' }, 'url'],
    [{ url, schema: 'Bad-Name' }, 'schema'],
    [{ url, mode: 'sideways' }, 'mode'],
    [{ url, queues: 'mail:x' }, 'queues'],
    [{ url, pollIntervalMs: -1 }, 'pollIntervalMs'],
    [{ url, defaultBackoff: { jitter: 2 } }, 'defaultBackoff.jitter'],
    [{ url, dataSource: {} }, 'dataSource'],
    [{ url, heartbeatIntervalMs: 5000, workerTimeoutMs: 6000 }, 'workerTimeoutMs'],
    [{ url, directUrl: 'mysql://x' }, 'directUrl'],
    [{ url, listen: 'no' }, 'listen'],
    [{ url, preparedStatements: 0 }, 'preparedStatements'],
    [{ url, directUrl: url, listen: false }, 'directUrl'],
  ])('rejects %p naming the option', (options, option) => {
    const attempt = () => resolveDataQueueOptions(options as never);
    expect(attempt).toThrow(DataQueueOptionsInvalidError);
    expect(attempt).toThrow(`option "${option}"`);
  });

  it('asks for a connection when there is neither url, dataSource nor DATABASE_URL', () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect(() => resolveDataQueueOptions({})).toThrow('option "url"');
    } finally {
      process.env.DATABASE_URL = saved;
    }
  });
});
