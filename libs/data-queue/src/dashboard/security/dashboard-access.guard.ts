import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HostAccessGuard } from '../../http/host-access.guard.js';
import { DASHBOARD_OPTIONS } from '../dashboard.constants.js';
import type { ResolvedDashboardOptions } from '../dashboard-options.validation.js';

/** Raised when the host app configured neither a guard nor `public: true`. */
export class DashboardAccessNotConfiguredException extends ForbiddenException {
  constructor() {
    super('The DataQueue dashboard is closed: configure DataQueueDashboardModule with a guard, or public: true.');
  }
}

/** The dashboard shows payloads and acts on jobs: closed unless the host's guard or `public: true` opens it. */
@Injectable()
export class DashboardAccessGuard extends HostAccessGuard {
  constructor(@Inject(DASHBOARD_OPTIONS) options: ResolvedDashboardOptions, moduleRef: ModuleRef) {
    super(options, moduleRef);
  }

  protected override closed(): ForbiddenException {
    return new DashboardAccessNotConfiguredException();
  }
}
