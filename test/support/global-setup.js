// Jest globalSetup (plain ESM: Jest imports it natively, outside its module runtime). Gives every
// test worker a PostgreSQL server: DATABASE_URL when set, otherwise a throwaway embedded server
// whose URL is published through process.env, which Jest copies into the workers it spawns.
// The library's TypeScript sources load through the same Node hooks `npm start` uses.
import { register } from 'node:module';

register('../../tools/ts-loader.js', import.meta.url);

export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  const { startEmbeddedPostgres } = await import('../../libs/data-queue/src/embedded/index.ts');
  const postgres = await startEmbeddedPostgres();
  globalThis.__DATAQUEUE_EMBEDDED_PG__ = postgres;
  process.env.DATABASE_URL = postgres.url;
}
