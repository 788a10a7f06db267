/**
 * A throwaway Redis for the BullMQ column, started once per bench run like the embedded Postgres:
 * Debian's `redis-server` on 127.0.0.1, a free port, a temporary directory, with the durability
 * its users run (AOF, fsync every second) and no RDB snapshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const DEBIAN_PATH = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

const REDIS_SETTINGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** The bench's Redis, or why the BullMQ column is skipped: a missing or broken redis-server never stops the other columns. */
export async function startBenchRedis(): Promise<RedisServer | { skipped: string }> {
  const binary = findRedisServer();
  if (!binary) return { skipped: 'skipped: redis-server not found (apt-get install redis-server)' };
  try {
    return await startRedisServer(binary);
  } catch (error) {
    return { skipped: `skipped: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Debian's path first, then PATH; null when there is none. */
function findRedisServer(): string | null {
  const candidates = [DEBIAN_PATH, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'redis-server'))];
  return candidates.find(isExecutable) ?? null;
}

/** Starts `binary` and resolves once it answers PING; rejects (and cleans up) if it does not within 10 s. */
async function startRedisServer(binary: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const port = await freePort();
  // --protected-mode only guards non-loopback clients: bound to 127.0.0.1 it never gets in the way.
  const server = spawn(binary, ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, ...REDIS_SETTINGS, '--logfile', ''], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Read for as long as it runs (a full pipe would stall Redis); the tail explains a failed start.
  let output = '';
  const keepTail = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000));
  server.stdout.on('data', keepTail);
  server.stderr.on('data', keepTail);
  const exited = new Promise<string>((resolve) =>
    server.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`)).once('error', (error) => resolve(error.message)),
  );
  const stop = async () => {
    await terminate(server, exited);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let failure: string | null = null;
  while (failure === null && !(await answersPing(port))) {
    if (Date.now() > deadline) failure = `did not answer PING on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000} s`;
    else failure = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))]);
  }
  if (failure !== null) {
    await stop();
    const log = output.trim().split('\n').slice(-5).join(' | ');
    throw new Error(`${binary} ${failure}${log ? `: ${log}` : ''}`);
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

/** SIGTERM (Redis flushes its AOF and exits), SIGKILL after 10 s. */
async function terminate(server: ChildProcess, exited: Promise<string>): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** A port the OS just handed out, released again for redis-server to bind. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
