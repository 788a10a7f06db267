import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { WorkerHealthCheck } from '../health/worker-health.js';

export const HEALTH_SERVER_OPTIONS = Symbol('DATA_QUEUE_HEALTH_SERVER_OPTIONS');

export interface HealthServerOptions {
  port: number;
}

/** A plain HTTP probe for the standalone worker: `GET /health` → 200 or 503 with the details as JSON. */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private server: Server | null = null;

  constructor(
    @Inject(HEALTH_SERVER_OPTIONS) private readonly options: HealthServerOptions,
    private readonly health: WorkerHealthCheck,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/health') {
        response.writeHead(404).end();
        return;
      }
      void this.health.check().then((report) => {
        response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.options.port, resolve));
    this.server = server;
    this.logger.log(`health probe on http://localhost:${this.options.port}/health`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
