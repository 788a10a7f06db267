import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Jest gives each test file its own module registry: these are the current file's schemas. */
const madeUp = new Set<string>();

/**
 * A fresh Postgres schema name per test app (or per group of apps sharing one queue), so test
 * files running in parallel never see each other's jobs, workers or NOTIFY channels.
 */
export function uniqueSchema(prefix = 't'): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  madeUp.add(schema);
  return schema;
}

/** Every schema name `uniqueSchema` made up in this test file (the leak check looks at these). */
export function schemasOfThisFile(): string[] {
  return [...madeUp];
}

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is unset: the tests run through jest, whose globalSetup provides it');
  return url;
}

/** Removes a test schema and everything in it (the queue's tables, a tally). `url`: another server than the suite's. */
export async function dropSchema(schema: string, url = databaseUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
