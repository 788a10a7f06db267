// Jest globalTeardown: stops the embedded PostgreSQL server global-setup.js started, if any.
export default async function globalTeardown() {
  const postgres = globalThis.__DATAQUEUE_EMBEDDED_PG__;
  globalThis.__DATAQUEUE_EMBEDDED_PG__ = undefined;
  await postgres?.stop();
}
