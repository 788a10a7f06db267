import type { CanActivate, ExecutionContext, ForbiddenException } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ResolvedHostAccess } from './host-access.js';

/**
 * Closed by default: an endpoint DataQueue mounts in the host app opens only through the host's
 * own guard (its auth) or an explicit `public: true`. Each endpoint subclasses it with its
 * options and the 403 that says how to open it.
 */
export abstract class HostAccessGuard implements CanActivate {
  private hostGuard: CanActivate | null = null;

  protected constructor(
    private readonly access: ResolvedHostAccess,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Answered while neither a guard nor `public: true` is configured. */
  protected abstract closed(): ForbiddenException;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.access.public) return true;
    const guard = await this.resolveHostGuard();
    if (!guard) throw this.closed();
    const verdict = guard.canActivate(context);
    return isObservable(verdict) ? lastValueFrom(verdict) : verdict;
  }

  /** A guard class is taken from the app's container when provided there, else instantiated with DI. */
  private async resolveHostGuard(): Promise<CanActivate | null> {
    const configured = this.access.guard;
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
