import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('the standalone worker (apps/worker)', () => {
  let producer: TestApp | undefined;
  let worker: ChildProcess | undefined;
  let stderr = '';

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await producer?.close();
  });

  it('runs the demo handlers from flags and env, serves a health probe, and exits cleanly on SIGTERM', async () => {
    producer = await createTestApp({ options: { mode: 'external', strictJobTypes: false } });
    const port = await freePort();
    const { NODE_OPTIONS: _jest, ...env } = process.env;
    worker = spawn(
      process.execPath,
      ['--conditions=@dataqueue/source', '--import', './tools/register-ts.js', 'apps/worker/src/main.ts', '--queues', 'mail:2', '--health-port', String(port)],
      { cwd: ROOT, env: { ...env, DATABASE_URL: databaseUrl(), DQ_SCHEMA: producer.schema, DQ_POLL_INTERVAL_MS: '100' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    worker.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => worker!.once('exit', (code, signal) => resolve(signal ?? code)));

    const health = await waitFor(
      'the health probe to report healthy',
      () => fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.ok ? r.json() : null), () => null),
      (body) => body !== null,
      { timeoutMs: 30_000 },
    );
    expect(health).toMatchObject({ healthy: true, database: 'up', listening: true });

    // The producer has no handlers: the job gets the queue ('mail') the worker published, the only one it serves.
    const job = await producer.queue.enqueue('send-email', { to: 'ada@example.com', subject: 'From the standalone worker' });
    expect(job).toMatchObject({ queue: 'mail', maxAttempts: 3 });
    const done = await waitForStatus(producer.queue, job.id, 'completed', { timeoutMs: 15_000 });
    expect(done.output).toEqual({ messageId: expect.stringContaining('@demo.dataqueue') });

    worker.kill('SIGTERM');
    // Nest's shutdown hooks re-raise the signal once the app has closed.
    expect(await exited).toBe('SIGTERM');
    expect(stderr).toBe('');
    // It unregistered itself on the way out (a crash would leave its row for the reaper).
    const db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
    const { rows } = await db.query(`SELECT id FROM "${producer.schema}".workers`);
    await db.end();
    expect(rows).toEqual([]);
  });
});
