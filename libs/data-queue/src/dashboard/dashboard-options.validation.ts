import { DataQueueOptionsInvalidError } from '../errors/data-queue.errors.js';
import type { DataQueueDashboardOptions } from './dashboard-options.js';
import { LOCALES, type LocaleCode } from './i18n/locales.js';

export type ResolvedDashboardOptions = Required<Omit<DataQueueDashboardOptions, 'guard'>> & Pick<DataQueueDashboardOptions, 'guard'>;

/** Checks the dashboard options at boot; a bad one fails startup naming it. */
export function resolveDashboardOptions(options: DataQueueDashboardOptions = {}): ResolvedDashboardOptions {
  const invalid = (option: string, detail: string): never => {
    throw new DataQueueOptionsInvalidError(`dashboard.${option}`, detail);
  };
  const { guard, locale = 'en', pollSeconds = 5, title = 'DataQueue' } = options;
  if (guard !== undefined && typeof guard !== 'function' && typeof (guard as { canActivate?: unknown }).canActivate !== 'function') {
    invalid('guard', 'must be a CanActivate class or instance');
  }
  if (options.public !== undefined && typeof options.public !== 'boolean') invalid('public', 'must be a boolean');
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') invalid('readOnly', 'must be a boolean');
  if (!(locale in LOCALES)) invalid('locale', `must be one of ${Object.keys(LOCALES).join(', ')}`);
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 3600) invalid('pollSeconds', 'must be an integer from 1 to 3600');
  if (typeof title !== 'string' || title.length === 0 || title.length > 100) invalid('title', 'must be 1-100 characters');
  return { guard, public: options.public ?? false, readOnly: options.readOnly ?? false, locale: locale as LocaleCode, pollSeconds, title };
}
