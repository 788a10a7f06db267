import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { lastValueFrom, isObservable } from 'rxjs';
import { DASHBOARD_OPTIONS } from '../dashboard.constants.js';
import type { DataQueueDashboardOptions } from '../dashboard-options.js';

/** Raised when the host app configured neither a guard nor `public: true`. */
export class DashboardAccessNotConfiguredException extends ForbiddenException {
  constructor() {
    super('The DataQueue dashboard is closed: configure DataQueueDashboardModule with a guard, or public: true.');
  }
}

/**
 * Closed by default: the dashboard shows payloads and acts on jobs, so it opens only through
 * the host's own guard (its auth) or an explicit `public: true`.
 */
@Injectable()
export class DashboardAccessGuard implements CanActivate {
  private hostGuard: CanActivate | null = null;

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: DataQueueDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.options.public) return true;
    const guard = await this.resolveHostGuard();
    if (!guard) throw new DashboardAccessNotConfiguredException();
    const verdict = guard.canActivate(context);
    return isObservable(verdict) ? lastValueFrom(verdict) : verdict;
  }

  /** A guard class is taken from the app's container when provided there, else instantiated with DI. */
  private async resolveHostGuard(): Promise<CanActivate | null> {
    const configured = this.options.guard;
    if (!configured || this.hostGuard) return this.hostGuard;
    if (typeof configured !== 'function') return (this.hostGuard = configured);
    try {
      this.hostGuard = this.moduleRef.get(configured, { strict: false });
    } catch {
      this.hostGuard = await this.moduleRef.create(configured);
    }
    return this.hostGuard;
  }
}
