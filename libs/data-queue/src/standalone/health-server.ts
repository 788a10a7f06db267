import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkerHealthCheck } from '../health/worker-health.js';

export const HEALTH_SERVER_OPTIONS = Symbol('DATA_QUEUE_HEALTH_SERVER_OPTIONS');

export interface HealthServerOptions {
  port: number;
  /** null: every interface (Node's default: `::`, or `0.0.0.0` without IPv6). */
  host: string | null;
}

/**
 * A plain HTTP probe for the standalone worker: `GET /health` (or `HEAD`, for monitors that
 * send it) → 200 or 503 with the details as JSON.
 */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private server: Server | null = null;

  constructor(
    @Inject(HEALTH_SERVER_OPTIONS) private readonly options: HealthServerOptions,
    private readonly health: WorkerHealthCheck,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => void this.answer(request, response));
    const { port, host } = this.options;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host ?? undefined, resolve));
    this.server = server;
    this.logger.log(`health probe listening on ${printableAddress(server.address() as AddressInfo)} (GET /health)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  /** Never rejects: a check that throws is a 503 like any other unhealthy answer. */
  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.url?.split('?')[0] !== '/health') {
      response.writeHead(404).end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const [status, body] = await this.health.check().then(
      (report) => [report.healthy ? 200 : 503, report] as const,
      (error: unknown) => {
        // The reason stays in the log: it may name the database server.
        this.logger.error(`health check failed: ${String(error)}`);
        return [503, { healthy: false, error: 'the health check failed' }] as const;
      },
    );
    // Node leaves the body out of a HEAD response by itself.
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }
}

/** `127.0.0.1:8081`, `[::]:8081`. */
function printableAddress({ address, family, port }: AddressInfo): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}
