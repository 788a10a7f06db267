import type { AdminDb } from '../util.js';
import type { SystemAdapter, SystemId, WorkloadId } from '../types.js';

export interface SystemInfo {
  id: SystemId;
  label: string;
  /** The npm package whose version the report names. */
  packageName: string | null;
  workloads: WorkloadId[];
}

/** In report order. Variants of one system share a CLI name (`graphile` selects both graphile variants). */
export const SYSTEMS: SystemInfo[] = [
  { id: 'dataqueue', label: 'dataqueue', packageName: '@dataqueue/nestjs', workloads: ['W1', 'W2', 'W3', 'W5', 'W6', 'W8', 'W9'] },
  { id: 'graphile', label: 'graphile-worker (batched)', packageName: 'graphile-worker', workloads: ['W1', 'W2', 'W3', 'W5'] },
  // Enqueueing does not depend on the worker settings: W2 and W5 run for the batched variant only.
  { id: 'graphile-unbatched', label: 'graphile-worker (unbatched)', packageName: 'graphile-worker', workloads: ['W1', 'W3'] },
  { id: 'pgboss', label: 'pg-boss', packageName: 'pg-boss', workloads: ['W1', 'W2', 'W3', 'W5'] },
  { id: 'rawpg', label: 'raw pg INSERT', packageName: 'pg', workloads: ['W2'] },
  { id: 'rawpg-notify', label: 'raw pg INSERT+NOTIFY', packageName: 'pg', workloads: ['W2'] },
  { id: 'bullmq', label: 'BullMQ (Redis)', packageName: 'bullmq', workloads: ['W1', 'W2', 'W3', 'W5'] },
];

export const ALIASES: Record<string, SystemId[]> = {
  dataqueue: ['dataqueue'],
  graphile: ['graphile', 'graphile-unbatched'],
  'graphile-worker': ['graphile', 'graphile-unbatched'],
  'graphile-batched': ['graphile'],
  'graphile-unbatched': ['graphile-unbatched'],
  pgboss: ['pgboss'],
  'pg-boss': ['pgboss'],
  rawpg: ['rawpg', 'rawpg-notify'],
  'raw-pg': ['rawpg', 'rawpg-notify'],
  'rawpg-notify': ['rawpg-notify'],
  bullmq: ['bullmq'],
};

/** Loads only the adapter asked for, so a child process holds one system's modules. */
export async function createSystem(id: SystemId, url: string, admin: AdminDb, redisUrl?: string): Promise<SystemAdapter> {
  switch (id) {
    case 'dataqueue':
      return new (await import('./dataqueue.js')).DataQueueSystem(url, admin);
    case 'graphile':
    case 'graphile-unbatched':
      return new (await import('./graphile.js')).GraphileSystem(url, admin, id === 'graphile');
    case 'pgboss':
      return new (await import('./pgboss.js')).PgBossSystem(url, admin);
    case 'rawpg':
    case 'rawpg-notify':
      return new (await import('./raw-pg.js')).RawPgSystem(url, admin, id === 'rawpg-notify');
    case 'bullmq':
      if (!redisUrl) throw new Error('bullmq needs the Redis that main.ts starts (redisUrl in the task)');
      return (await import('./bullmq.js')).BullMqSystem.open(redisUrl);
  }
}
