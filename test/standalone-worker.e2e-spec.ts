import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What a terminal acts on: ESC starts the escape codes that recolour, clear or retitle it. */
const ESC = '\u001b';
/** What JSON.stringify alone lets through: CSI (an 8-bit ESC [), a line separator, a right-to-left override. */
const BEYOND_JSON = ['\u009b', '\u2028', '\u202e'];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('the standalone worker (apps/worker)', () => {
  let producer: TestApp;
  let worker: ChildProcess;
  let exited: Promise<NodeJS.Signals | number | null>;
  let port: number;
  let stdout = '';
  let stderr = '';
  /** The probe's first 200 answer. */
  let health: unknown;

  beforeAll(async () => {
    producer = await createTestApp({ options: { mode: 'external', strictJobTypes: false } });
    port = await freePort();
    const { NODE_OPTIONS: _jest, ...env } = process.env;
    worker = spawn(
      process.execPath,
      [
        '--conditions=@dataqueue/source',
        '--import',
        './tools/register-ts.js',
        'apps/worker/src/main.ts',
        '--queues',
        'mail:2;*:1',
        '--health-port',
        String(port),
      ],
      {
        cwd: ROOT,
        env: {
          ...env,
          DATABASE_URL: databaseUrl(),
          DQ_SCHEMA: producer.schema,
          DQ_POLL_INTERVAL_MS: '100',
          DQ_HEALTH_HOST: '127.0.0.1',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    worker.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    exited = new Promise((resolve) => worker.once('exit', (code, signal) => resolve(signal ?? code)));
    health = await waitFor(
      'the health probe to answer 200',
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => (r.ok ? r.json() : null),
          () => null,
        ),
      (body) => body !== null,
      { timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await producer?.close();
  });

  const waitForOutput = (description: string, pattern: RegExp) =>
    waitFor(
      `the worker to log ${description}`,
      () => pattern.exec(stdout),
      (match) => match !== null,
      { timeoutMs: 30_000 },
    );

  it('serves a health probe on the host it was given (DQ_HEALTH_HOST) and logs the address it is bound to', async () => {
    expect(health).toMatchObject({ healthy: true, database: 'up', listening: true });
    await waitForOutput('the probe address', new RegExp(`health probe listening on 127\\.0\\.0\\.1:${port} \\(GET /health\\)`));
    expect(stdout).not.toContain('localhost');
  });

  it('runs the demo handlers from flags and env', async () => {
    // The producer has no handlers: the job gets the queue ('mail') the worker published.
    const job = await producer.queue.enqueue('send-email', { to: 'ada@example.com', subject: 'From the standalone worker' });
    expect(job).toMatchObject({ queue: 'mail', maxAttempts: 3 });
    const done = await waitForStatus(producer.queue, job.id, 'completed', { timeoutMs: 15_000 });
    expect(done.output).toEqual({ messageId: expect.stringContaining('@demo.dataqueue') });
  });

  it('logs the strings a request supplied escaped: no forged log line, no terminal escape code', async () => {
    const forgedLine = '[Nest] 1  - 01/01/2030, 00:00:00     LOG [Auth] admin signed in';
    // The subject is free text; the address passes IsEmail through its quoted local part.
    const email = await producer.queue.enqueue('send-email', {
      to: `"${ESC}[2J\nroot"@example.com`,
      subject: `Hi\n${forgedLine}${ESC}[31m${BEYOND_JSON.join('')}`,
    });
    // What a dead letter carries: a handler's error message, which may quote the payload.
    const letter = await producer.queue.enqueue('email-dead-letter', {
      originalJob: { id: email.id, jobType: 'send-email', queue: 'mail', attempts: 3, tags: [] },
      payload: {},
      failure: { reason: 'handler_error', message: `mailbox "x\r\n${forgedLine}" is full\u0007`, errorHistory: [] },
    });
    await waitForStatus(producer.queue, email.id, 'completed', { timeoutMs: 15_000 });
    await waitForStatus(producer.queue, letter.id, 'completed', { timeoutMs: 15_000 });

    await waitForOutput('the email', new RegExp(`job ${email.id}: sending `));
    await waitForOutput('the dead letter', new RegExp(`job ${letter.id}: send-email job ${email.id} gave up`));
    expect(stdout).toContain(
      `sending "Hi\\n${forgedLine}\\u001b[31m\\u009b\\u2028\\u202e" to "\\"\\u001b[2J\\nroot\\"@example.com" (attempt 1/3)`,
    );
    expect(stdout).toContain(`(handler_error: "mailbox \\"x\\r\\n${forgedLine}\\" is full\\u0007")`);
    expect(stdout).not.toContain(ESC);
    for (const char of ['\u0007', ...BEYOND_JSON]) expect(stdout).not.toContain(char);
    expect(stdout.split(/\r?\n|\r/).filter((line) => line.startsWith(forgedLine))).toEqual([]);
  });

  it('exits cleanly on SIGTERM and unregisters itself', async () => {
    worker.kill('SIGTERM');
    // Nest's shutdown hooks re-raise the signal once the app has closed.
    expect(await exited).toBe('SIGTERM');
    expect(stderr).toBe('');
    // A crash would leave its row for the reaper.
    const db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
    const { rows } = await db.query(`SELECT id FROM "${producer.schema}".workers`);
    await db.end();
    expect(rows).toEqual([]);
  });
});
