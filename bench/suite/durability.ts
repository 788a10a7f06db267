/**
 * The server settings behind the report's two tables, switched between runs on the one server:
 * fsync and synchronous_commit take effect on a reload, so no restart (and no new data directory)
 * separates the tables.
 */
import pg from 'pg';
import { sleep } from './util.js';
import type { Durability } from './types.js';

export const DURABILITY: Record<Durability, { fsync: 'on' | 'off'; title: string }> = {
  durable: { fsync: 'on', title: 'Production durability (fsync=on, synchronous_commit=on)' },
  cpu: { fsync: 'off', title: 'CPU-bound (fsync=off, synchronous_commit=on)' },
};

const RELOAD_TIMEOUT_MS = 10_000;

interface Current {
  fsync: string;
  synchronous_commit: string;
}

/** Switches the server between the tables' settings, and gives a server it did not start its own back. */
export class DurabilitySwitch {
  private altered = false;

  constructor(private readonly url: string) {}

  /**
   * Sets fsync for `durability` (and synchronous_commit=on) with ALTER SYSTEM and a reload when the
   * server differs, and resolves once a new session shows both: the next child's sessions will too.
   */
  async apply(durability: Durability): Promise<void> {
    const wanted: Current = { fsync: DURABILITY[durability].fsync, synchronous_commit: 'on' };
    if (matches(await current(this.url), wanted)) return;
    this.altered = true;
    await withClient(this.url, async (client) => {
      await client.query(`ALTER SYSTEM SET fsync = ${wanted.fsync}`);
      await client.query('ALTER SYSTEM SET synchronous_commit = on');
      await client.query('SELECT pg_reload_conf()');
    });
    await reloaded(this.url, wanted);
  }

  /** Takes the bench's ALTER SYSTEM settings out again (postgresql.auto.conf), if it made any. */
  async restore(): Promise<void> {
    if (!this.altered) return;
    await withClient(this.url, async (client) => {
      await client.query('ALTER SYSTEM RESET fsync');
      await client.query('ALTER SYSTEM RESET synchronous_commit');
      await client.query('SELECT pg_reload_conf()');
    });
    this.altered = false;
  }
}

const matches = (now: Current, wanted: Current) => now.fsync === wanted.fsync && now.synchronous_commit === wanted.synchronous_commit;

async function reloaded(url: string, wanted: Current): Promise<void> {
  const deadline = performance.now() + RELOAD_TIMEOUT_MS;
  for (;;) {
    const now = await current(url);
    if (matches(now, wanted)) return;
    if (performance.now() > deadline) {
      throw new Error(
        `the server still shows fsync=${now.fsync}, synchronous_commit=${now.synchronous_commit} ${RELOAD_TIMEOUT_MS / 1000} s after ` +
          `ALTER SYSTEM and a reload (a setting on its command line or in a role's or database's settings outranks ALTER SYSTEM)`,
      );
    }
    await sleep(50);
  }
}

function current(url: string): Promise<Current> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: keyof Current; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.setting])) as unknown as Current;
  });
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
