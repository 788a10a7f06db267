import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';
import { resolveHostAccess } from '../http/host-access.js';
import type { DataQueueDashboardOptions } from './dashboard-options.js';
import { isLocaleCode, LOCALES } from './i18n/locales.js';
import { originOf } from './security/request-head.js';

export type ResolvedDashboardOptions = Required<Omit<DataQueueDashboardOptions, 'guard'>> & Pick<DataQueueDashboardOptions, 'guard'>;

/** Checks the dashboard options at boot; a bad one fails startup naming it. */
export function resolveDashboardOptions(options: DataQueueDashboardOptions = {}): ResolvedDashboardOptions {
  const invalid = (option: string, detail: string): never => {
    throw new DataQueueOptionsInvalidError(`dashboard.${option}`, detail);
  };
  const { locale = 'en', pollSeconds = 5, title = 'DataQueue', allowedOrigins = [] } = options;
  const access = resolveHostAccess(options, 'dashboard');
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') invalid('readOnly', 'must be a boolean');
  if (!isLocaleCode(locale)) invalid('locale', `must be one of ${Object.keys(LOCALES).join(', ')}`);
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 3600) invalid('pollSeconds', 'must be an integer from 1 to 3600');
  if (typeof title !== 'string' || title.length === 0 || title.length > 100) invalid('title', 'must be 1-100 characters');
  return {
    ...access,
    readOnly: options.readOnly ?? false,
    locale,
    pollSeconds,
    title,
    allowedOrigins: resolveAllowedOrigins(allowedOrigins, invalid),
  };
}

/** Each entry must be a bare http(s) origin; kept serialised as browsers send it in `Origin`. */
function resolveAllowedOrigins(allowedOrigins: unknown, invalid: (option: string, detail: string) => never): string[] {
  if (!Array.isArray(allowedOrigins)) return invalid('allowedOrigins', 'must be an array of origins');
  return allowedOrigins.map(
    (entry: unknown, i) =>
      bareOriginOf(entry) ??
      invalid(`allowedOrigins[${i}]`, 'must be an origin like https://admin.example.com (scheme, host and port only)'),
  );
}

function bareOriginOf(entry: unknown): string | null {
  if (typeof entry !== 'string') return null;
  const origin = originOf(entry);
  return origin !== null && new URL(entry).href === `${origin}/` ? origin : null;
}
