import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResolvedHostAccess } from '../http/host-access.js';
import { HostAccessGuard } from '../http/host-access.guard.js';
import { METRICS_OPTIONS } from './metrics.constants.js';

/** Raised when the host app configured neither a guard nor `public: true`. */
export class MetricsAccessNotConfiguredException extends ForbiddenException {
  constructor() {
    super('The DataQueue metrics are closed: configure DataQueueMetricsModule with a guard, or public: true.');
  }
}

/** The metrics reveal queue names, job types and backlogs, and every scrape queries the database: closed unless opened. */
@Injectable()
export class MetricsAccessGuard extends HostAccessGuard {
  constructor(@Inject(METRICS_OPTIONS) access: ResolvedHostAccess, moduleRef: ModuleRef) {
    super(access, moduleRef);
  }

  protected override closed(): ForbiddenException {
    return new MetricsAccessNotConfiguredException();
  }
}
