import { Injectable } from '@nestjs/common';
import { WorkerHealthCheck, type WorkerHealth } from './worker-health.js';

/**
 * `@nestjs/terminus`' `HealthIndicatorResult` shape, spelled out here: importing terminus at run
 * time would make the package's main entry fail to load in apps without that optional peer.
 */
export type DataQueueHealthResult<Key extends string = string> = Record<Key, { status: 'up' | 'down' } & Omit<WorkerHealth, 'healthy'>>;

/**
 * A `@nestjs/terminus` health indicator over `WorkerHealthCheck`:
 * `this.health.check([() => this.dataQueue.isHealthy('dataqueue')])` answers 503 when it is down.
 */
@Injectable()
export class DataQueueHealthIndicator {
  constructor(private readonly health: WorkerHealthCheck) {}

  async isHealthy<const Key extends string>(key: Key): Promise<DataQueueHealthResult<Key>> {
    const { healthy, ...details } = await this.health.check();
    return { [key]: { status: healthy ? 'up' : 'down', ...details } } as DataQueueHealthResult<Key>;
  }
}
