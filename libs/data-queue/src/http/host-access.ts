import type { CanActivate, Type } from '@nestjs/common';
import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';

/** Who may reach an HTTP endpoint DataQueue mounts in the host app (the dashboard, the metrics). */
export interface HostAccessOptions {
  /**
   * Any Nest guard (a class resolved through DI, or an instance), e.g. the app's own auth guard.
   * Without `guard`, every request is refused with a 403 unless `public: true`.
   */
  guard?: Type<CanActivate> | CanActivate;
  /**
   * Serve it to anyone who can reach it (local development, a private network). Cannot be
   * combined with `guard` (startup fails rather than ignore one of them).
   */
  public?: boolean;
}

export type ResolvedHostAccess = Pick<HostAccessOptions, 'guard'> & { public: boolean };

/** Checks `guard` and `public` at boot, naming a bad one under `scope` (`metrics.public`, …). */
export function resolveHostAccess(options: HostAccessOptions, scope: string): ResolvedHostAccess {
  const invalid = (option: string, detail: string): never => {
    throw new DataQueueOptionsInvalidError(`${scope}.${option}`, detail);
  };
  const { guard } = options;
  if (guard !== undefined && !isGuard(guard)) invalid('guard', 'must be a CanActivate class or instance');
  if (options.public !== undefined && typeof options.public !== 'boolean') invalid('public', 'must be a boolean');
  if (options.public && guard !== undefined)
    invalid('public', 'cannot be combined with guard: choose one (public: true would let everyone past the guard)');
  return { guard, public: options.public ?? false };
}

function isGuard(value: unknown): value is Type<CanActivate> | CanActivate {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as Partial<CanActivate>).canActivate === 'function';
}
