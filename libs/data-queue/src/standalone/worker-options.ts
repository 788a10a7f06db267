import { parseArgs } from 'node:util';
import type { DataQueueModuleOptions } from '../core/data-queue-options.js';

export interface StandaloneWorkerSettings {
  /** Module options for the worker (mode is always `async`). */
  queue: DataQueueModuleOptions;
  /** Port of the plain HTTP health probe (`GET /health`), or none. */
  healthPort: number | null;
  /** Address the probe listens on (e.g. `127.0.0.1`); null: every interface, as orchestrators' probes need. */
  healthHost: string | null;
  /** `--module path[#Export]` (the bin only): the Nest module with your handlers. */
  module: string | null;
}

const HELP = `data-queue worker: runs DataQueue workers in a process of their own.

  --module <file[#Export]>   ES module exporting the Nest module with your @JobHandler providers
                             (default export name: JobsModule)                   [DQ_MODULE]
  --queues <pools>           worker pools, e.g. 'mail:2;*:5'                      [DQ_QUEUES]
  --concurrency <n>          shorthand for --queues '*:<n>'                       [DQ_CONCURRENCY]
  --schema <name>            schema of the queue tables (default data_queue)      [DQ_SCHEMA]
  --health-port <port>       serve GET /health (200 healthy, 503 not)             [DQ_HEALTH_PORT]
  --health-host <address>    listen on this address only, e.g. 127.0.0.1
                             (default: every interface)                          [DQ_HEALTH_HOST]
  --shutdown-timeout <ms>    graceful drain on SIGTERM/SIGINT (default 10000)     [DQ_SHUTDOWN_TIMEOUT_MS]
  --poll-interval <ms>       fallback poll (default 1000)                         [DQ_POLL_INTERVAL_MS]
  Connection: DATABASE_URL.`;

/** Reads the worker's settings from flags, then environment variables. Throws with the usage on bad input. */
export function parseWorkerSettings(argv: string[], env: NodeJS.ProcessEnv = process.env): StandaloneWorkerSettings {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      module: { type: 'string' },
      queues: { type: 'string' },
      concurrency: { type: 'string' },
      schema: { type: 'string' },
      'health-port': { type: 'string' },
      'health-host': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      'poll-interval': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(HELP);
  const int = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer (got ${raw})\n\n${HELP}`);
    return value;
  };
  const concurrency = int('--concurrency', values.concurrency ?? env.DQ_CONCURRENCY);
  const queues = values.queues ?? env.DQ_QUEUES ?? (concurrency ? `*:${concurrency}` : undefined);
  const healthPort = int('--health-port', values['health-port'] ?? env.DQ_HEALTH_PORT) ?? null;
  const healthHost = (values['health-host'] ?? env.DQ_HEALTH_HOST) || null;
  if (healthHost !== null && healthPort === null) throw new Error(`--health-host needs --health-port\n\n${HELP}`);
  return {
    queue: {
      url: env.DATABASE_URL,
      mode: 'async',
      queues,
      schema: values.schema ?? env.DQ_SCHEMA,
      shutdownTimeoutMs: int('--shutdown-timeout', values['shutdown-timeout'] ?? env.DQ_SHUTDOWN_TIMEOUT_MS),
      pollIntervalMs: int('--poll-interval', values['poll-interval'] ?? env.DQ_POLL_INTERVAL_MS),
    },
    healthPort,
    healthHost,
    module: values.module ?? env.DQ_MODULE ?? null,
  };
}
