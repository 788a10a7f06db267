/**
 * The code an error from pg or TypeORM carries: Postgres's SQLSTATE (`57014`), or a socket's
 * (`ECONNREFUSED`); TypeORM keeps the driver's error under `driverError`. '' when there is none.
 */
export function errorCodeOf(error: unknown): string {
  const carrier = error as { code?: unknown; driverError?: { code?: unknown } } | null | undefined;
  const code = carrier?.code ?? carrier?.driverError?.code;
  return typeof code === 'string' ? code : '';
}
