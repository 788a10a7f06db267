import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh Postgres schema name per test app (or per group of apps sharing one queue), so test
 * files running in parallel never see each other's jobs, workers or NOTIFY channels.
 */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is unset: the tests run through jest, whose globalSetup provides it');
  return url;
}

/** Removes a test schema and everything in it (the queue's tables, a tally). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
