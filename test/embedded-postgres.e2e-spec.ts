import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@dataqueue/nestjs/embedded';
import type { EmbeddedAppInfo } from './fixtures/embedded-app.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A TypeScript entry point run as its own Node process, the way `npm start` runs the demo. */
class NodeProcess {
  output = '';
  readonly exited: Promise<Exit>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(entry: string, env: NodeJS.ProcessEnv = {}): NodeProcess {
    // Without Jest's NODE_OPTIONS, and without the suite's DATABASE_URL: it starts its own server.
    const { NODE_OPTIONS: _jest, DATABASE_URL: _suite, ...parentEnv } = process.env;
    const child = spawn(process.execPath, ['--conditions=@dataqueue/source', '--import', './tools/register-ts.js', entry], {
      cwd: ROOT,
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for `pattern` in the output; fails early, with the output, if the process exits. */
  async waitForOutput(pattern: RegExp, timeoutMs = 45_000): Promise<RegExpExecArray> {
    const found = await waitFor(
      `${pattern} in the output of process ${this.child.pid}`,
      () => pattern.exec(this.output) ?? (this.running ? null : ('exited' as const)),
      (value) => value !== null,
      { timeoutMs },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${this.output}`);
    });
    if (!found || found === 'exited')
      throw new Error(`process ${this.child.pid} exited before printing ${pattern}; its output:\n${this.output}`);
    return found;
  }

  async exit(timeoutMs = 15_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`process ${this.child.pid} still running after ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Live processes whose command line names `text` (a zombie's is empty). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function expectServerGone({ dataDir, port, postmasterPid }: EmbeddedAppInfo): Promise<void> {
  expect({ postmasterAlive: isAlive(postmasterPid), dataDir: existsSync(dataDir), listening: await acceptsConnections(port) }).toEqual({
    postmasterAlive: false,
    dataDir: false,
    listening: false,
  });
}

async function fsyncSetting(url: string): Promise<{ setting: string; source: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ setting: string; source: string }>("SELECT setting, source FROM pg_settings WHERE name = 'fsync'"))
      .rows[0];
  } finally {
    await client.end();
  }
}

async function selectOne(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0];
  } finally {
    await client.end();
  }
}

describe('embedded Postgres', () => {
  const processes: NodeProcess[] = [];
  const servers: EmbeddedPostgresHandle[] = [];
  // Every process case's app boots at once (each runs initdb): the cases then only end them.
  let apps: Record<'SIGTERM' | 'SIGINT' | 'close' | 'SIGKILL', Promise<[NodeProcess, EmbeddedAppInfo]>>;
  let demo: NodeProcess;

  beforeAll(() => {
    apps = { SIGTERM: startFixture(), SIGINT: startFixture(), close: startFixture({ EMBEDDED_APP_END: 'close' }), SIGKILL: startFixture() };
    for (const app of Object.values(apps)) app.catch(() => undefined); // awaited by its case
    demo = NodeProcess.start('apps/demo/src/main.ts', { PORT: '0', HOST: undefined, NO_COLOR: '1' });
    processes.push(demo);
  });

  afterAll(async () => {
    for (const proc of processes) if (proc.running) proc.child.kill('SIGKILL');
    await Promise.all(servers.map((server) => server.stop()));
  });

  async function startFixture(env: NodeJS.ProcessEnv = {}): Promise<[NodeProcess, EmbeddedAppInfo]> {
    const app = NodeProcess.start('test/fixtures/embedded-app.ts', env);
    processes.push(app);
    const [line] = await app.waitForOutput(/^\{.*\}$/m);
    const info = JSON.parse(line) as EmbeddedAppInfo;
    expect(info.jobStatus).toBe('completed');
    return [app, info];
  }

  it('hands out a URL with a random superuser password, refuses any other, and deletes the data on stop(), which may be called again', async () => {
    const server = await startEmbeddedPostgres();
    servers.push(server);
    const url = new URL(server.url);
    expect(url.password).toMatch(/^[\w-]{32}$/); // 24 random bytes, base64url
    expect(url).toMatchObject({ hostname: server.host, port: String(server.port), pathname: `/${server.database}` });
    expect(await selectOne(server.url)).toEqual({ one: 1 });
    for (const password of ['dataqueue', `${url.password.slice(1)}x`]) {
      await expect(selectOne(Object.assign(new URL(server.url), { password }).href)).rejects.toThrow(/password authentication failed/);
    }

    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(existsSync(server.dataDir)).toBe(false);
    expect(await acceptsConnections(server.port)).toBe(false);
  });

  it('runs with fsync=off pinned on its command line; fsync: true leaves it as configured, which ALTER SYSTEM switches while it runs', async () => {
    const [fast, durable] = await Promise.all([startEmbeddedPostgres(), startEmbeddedPostgres({ fsync: true })]);
    servers.push(fast, durable);
    expect(await fsyncSetting(fast.url)).toEqual({ setting: 'off', source: 'command line' });
    expect(await fsyncSetting(durable.url)).toEqual({ setting: 'on', source: 'default' });

    const client = new pg.Client({ connectionString: durable.url });
    await client.connect();
    try {
      await client.query('ALTER SYSTEM SET fsync = off');
      await client.query('SELECT pg_reload_conf()');
    } finally {
      await client.end();
    }
    await waitFor(
      'fsync=off after ALTER SYSTEM and a reload',
      () => fsyncSetting(durable.url),
      (fsync) => fsync.setting === 'off',
    );
  });

  it('gives every start its own password', async () => {
    const passwords = (await Promise.all(Object.values(apps))).map(([, info]) => info.password);
    for (const password of passwords) expect(password).toMatch(/^[\w-]{32}$/);
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to an app with enableShutdownHooks(): the app closes first, then the server stops and its data goes, ' +
      'and the process still ends by the signal',
    async (signal) => {
      const [app, info] = await apps[signal];
      expect(isAlive(info.postmasterPid)).toBe(true);
      app.child.kill(signal);
      expect(await app.exit()).toEqual({ code: null, signal });
      // Done before the process ended, not some time after.
      await expectServerGone(info);
      await waitFor(
        `no process left naming ${info.dataDir} (the watchdog goes too)`,
        () => processesNaming(info.dataDir),
        (pids) => pids.length === 0,
      );
    },
  );

  it('an app that closes and lets its process end: the server stops and its data goes on the way out', async () => {
    const [app, info] = await apps.close;
    expect(await app.exit()).toEqual({ code: 0, signal: null });
    await expectServerGone(info);
    await waitFor(
      `no process left naming ${info.dataDir}`,
      () => processesNaming(info.dataDir),
      (pids) => pids.length === 0,
    );
  });

  it('SIGKILL, where no hook runs: the watchdog stops the server and deletes its data', async () => {
    const [app, info] = await apps.SIGKILL;
    expect(isAlive(info.postmasterPid)).toBe(true);
    app.child.kill('SIGKILL');
    expect(await app.exit()).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(
      `postgres ${info.postmasterPid} to stop and ${info.dataDir} to go`,
      () => !isAlive(info.postmasterPid) && !existsSync(info.dataDir) && processesNaming(info.dataDir).length === 0,
    );
    expect(await acceptsConnections(info.port)).toBe(false);
  });

  it('the demo binds 127.0.0.1, names the database without its password, and cleans up on SIGTERM', async () => {
    const [, host, port, database] = await demo.waitForOutput(/started embedded PostgreSQL on (\S+):(\d+), database "([^"]+)"/);
    const [, address] = await demo.waitForOutput(/DataQueue demo listening on (\S+)/);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(demo.output).not.toMatch(/postgres(ql)?:\/\/[^\s@]*@/);
    expect({ host, database }).toEqual({ host: 'localhost', database: 'dataqueue' });
    const dataDirs = readdirSync(tmpdir()).filter((name) => name.startsWith(`dataqueue-pg-${demo.child.pid}-`));
    expect(dataDirs).toHaveLength(1);
    const dataDir = join(tmpdir(), dataDirs[0]);
    const info: EmbeddedAppInfo = {
      dataDir,
      port: Number(port),
      postmasterPid: Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
      jobStatus: '',
      password: '',
    };

    demo.child.kill('SIGTERM');
    expect(await demo.exit()).toEqual({ code: null, signal: 'SIGTERM' });
    await expectServerGone(info);
  });
});
