import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../support/wait-for.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/consumer-app');
const run = promisify(execFile);
const npm = (cwd: string, ...args: string[]) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env: npmEnv() });

/** npm as a user would run it: not inside this workspace's npm run, and no Jest loader flags. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'NODE_OPTIONS'));
  delete env.DATABASE_URL; // the app starts its own embedded Postgres, as the README shows
  return env;
}

/**
 * What `npm pack` ships, installed into a fresh Nest 12 app (test/fixtures/consumer-app, with its
 * own lock file) the way the README says: compiled with tsc under `module: nodenext`, booted on
 * embedded Postgres, used over HTTP, stopped with SIGTERM.
 */
describe('the packed package in a fresh Nest app', () => {
  let dir: string | undefined;
  let app: ChildProcess | undefined;

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs with its peers, compiles, runs a job and a batch callback, and leaves no Postgres behind on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dataqueue-consumer-'));
    // As root, embedded Postgres runs as the `postgres` OS user, which must reach its binaries in node_modules.
    await chmod(dir, 0o755);
    await run('npm', ['run', 'build', '--workspace', '@dataqueue/nestjs'], { cwd: ROOT, env: npmEnv() });
    const { stdout: packed } = await run('npm', ['pack', '--pack-destination', dir], { cwd: join(ROOT, 'libs/data-queue'), env: npmEnv() });
    const tarball = packed.trim().split('\n').at(-1)!;
    await cp(FIXTURE, dir, { recursive: true });
    await npm(dir, 'ci');
    await npm(dir, 'install', '--no-save', `./${tarball}`);
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')]);

    // What the tarball carries: its docs, and every source its maps point at.
    const installed = join(dir, 'node_modules/@dataqueue/nestjs');
    expect(['README.md', 'LICENSE', 'docs/dashboard.md'].filter((file) => !existsSync(join(installed, file)))).toEqual([]);
    const maps = (await readdir(join(installed, 'dist'), { recursive: true })).filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(installed, 'dist', map), 'utf8')) as { sources: string[] };
      for (const source of sources) if (!existsSync(join(installed, 'dist', dirname(map), source))) missing.push(`${map} → ${source}`);
    }
    expect(missing).toEqual([]);

    app = spawn(process.execPath, ['dist/main.js'], { cwd: dir, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    app.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    app.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => app!.once('exit', (code, signal) => resolve(signal ?? code)));
    // The probe returns the app's output, so a timeout shows what it printed.
    const listening = await waitFor(
      'the app to listen',
      () => output,
      (text) => /listening on http:\/\/\S+/.test(text),
      { timeoutMs: 60_000 },
    );
    const url = /listening on (http:\/\/\S+)/.exec(listening)![1];
    const dataDirs = (await readdir(tmpdir()))
      .filter((name) => name.startsWith(`dataqueue-pg-${app!.pid}-`))
      .map((name) => join(tmpdir(), name));
    expect(dataDirs).toHaveLength(1);
    const postmaster = Number((await readFile(join(dataDirs[0], 'postmaster.pid'), 'utf8')).split('\n')[0]);

    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const job = (await (await post('/emails', { to: 'ada@example.com' })).json()) as { id: string; queue: string };
    expect(job.queue).toBe('mail');
    await waitFor(
      'the job to complete',
      async () => (await (await fetch(`${url}/jobs/${job.id}`)).json()) as { status: string; output: unknown },
      (j) => j.status === 'completed',
    );
    const { batchId } = (await (await post('/reports', { recipients: ['b@example.com', 'c@example.com'] })).json()) as { batchId: string };
    await waitFor(
      'the batch success callback',
      async () => (await (await fetch(`${url}/reports/${batchId}`)).json()) as { succeeded: boolean },
      (r) => r.succeeded,
    );

    app.kill('SIGTERM');
    expect(await exited).not.toBe('SIGKILL');
    await waitFor(
      `embedded Postgres (pid ${postmaster}) to stop and its data directory to go`,
      () => !existsSync(`/proc/${postmaster}`) && !existsSync(dataDirs[0]),
      Boolean,
      { timeoutMs: 15_000 },
    );
  }, 180_000);
});
