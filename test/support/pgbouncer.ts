import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitFor } from './wait-for.js';

const BINARY = '/usr/sbin/pgbouncer';

/**
 * Why the PgBouncer tests cannot run here, or null. Locally a missing binary skips them (the
 * reason is in the suite's name); with CI=true it fails them, so CI never skips them silently.
 */
export const pgBouncerMissing: string | null =
  existsSync(BINARY) || process.env.CI ? null : `skipped: ${BINARY} is missing (apt-get install pgbouncer; .ci/run installs it)`;

export interface PgBouncerOptions {
  /** Server connections per database/user pair: fewer than the clients, so they really share them. */
  poolSize: number;
}

/**
 * A real PgBouncer in transaction mode in front of `targetUrl`'s server, configured in a temp dir,
 * on a free port. As root it runs as `nobody` (PgBouncer refuses to run as root).
 */
export class PgBouncer {
  private stderrText = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `targetUrl` with PgBouncer's host and port. */
    readonly url: string,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
  }

  static async start(targetUrl: string, { poolSize }: PgBouncerOptions): Promise<PgBouncer> {
    if (!existsSync(BINARY)) {
      throw new Error(`${BINARY} not found: the PgBouncer tests need Debian's pgbouncer (apt-get install pgbouncer; .ci/run installs it)`);
    }
    const target = new URL(targetUrl);
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    const database = target.pathname.slice(1);
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'dataqueue-pgbouncer-'));
    await chmod(dir, 0o755); // readable by `nobody`
    await writeFile(join(dir, 'userlist.txt'), `"${user}" "${password}"\n`, { mode: 0o644 });
    await writeFile(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        `auth_type = ${password ? 'md5' : 'trust'}`,
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const child = spawn(BINARY, [...asUser, join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const bouncer = new PgBouncer(child, dir, url.toString());
    try {
      await waitFor('PgBouncer to accept connections', () => bouncer.canConnect(), Boolean, { timeoutMs: 10_000, intervalMs: 50 });
    } catch (error) {
      await bouncer.stop();
      throw new Error(`PgBouncer did not start: ${(error as Error).message}\n${bouncer.stderrText}`, { cause: error });
    }
    return bouncer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private async canConnect(): Promise<boolean> {
    if (this.child.exitCode !== null) throw new Error(`pgbouncer exited with code ${this.child.exitCode}`);
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
