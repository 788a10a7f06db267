import { afterAll } from '@jest/globals';
import pg from 'pg';
import { databaseUrl, schemasOfThisFile } from './unique-schema.js';
import { waitFor, WaitForTimeoutError } from './wait-for.js';

/**
 * After every test file (jest.config.js, setupFilesAfterEnv): once its tests and hooks closed
 * what they opened, no DataQueue connection to a schema the file made up (uniqueSchema) is still
 * open, and no job in such a schema is left `processing`. Files run in parallel against one
 * server, so only the file's own schemas are looked at.
 *
 * This hook runs after the afterAll hooks of the file's describe blocks, but before an afterAll
 * written at the top level of a spec file (same block, declared later): close apps in a describe.
 */
afterAll(async () => {
  const schemas = schemasOfThisFile();
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const leaks = [...(await connectionsLeftOpen(client, schemas)), ...(await jobsLeftProcessing(client, schemas))];
    if (leaks.length > 0) {
      throw new Error(`leak check (test/support/leak-check.ts): after this file's tests and hooks\n- ${leaks.join('\n- ')}`);
    }
  } finally {
    await client.end();
  }
});

interface OpenConnection {
  application_name: string;
  state: string | null;
  query: string;
}

/** DataQueue names its connections `dataqueue:<schema>` and `dataqueue-listener:<schema>`. */
async function connectionsLeftOpen(client: pg.Client, schemas: string[]): Promise<string[]> {
  const names = schemas.flatMap((schema) => [`dataqueue:${schema}`, `dataqueue-listener:${schema}`]);
  const probe = async () =>
    (
      await client.query<OpenConnection>(
        `SELECT application_name, state, left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query FROM pg_stat_activity
         WHERE application_name = ANY($1) ORDER BY application_name`,
        [names],
      )
    ).rows;
  let open: OpenConnection[];
  try {
    // The backends of a SIGKILLed worker process end a moment after it.
    open = await waitFor('DataQueue connections of this file to end', probe, (rows) => rows.length === 0, {
      timeoutMs: 5000,
      intervalMs: 50,
    });
  } catch (error) {
    if (!(error instanceof WaitForTimeoutError)) throw error;
    open = error.lastValue as OpenConnection[];
  }
  return open.map((row) => `connection "${row.application_name}" still open (${row.state ?? 'no state'}; last query: ${row.query})`);
}

/** Schemas a test dropped have nothing left to check. */
async function jobsLeftProcessing(client: pg.Client, schemas: string[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const schema of schemas) {
    const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`"${schema}".jobs`]);
    if (!rows[0].exists) continue;
    const processing = await client.query<{ id: string }>(
      `SELECT id::text FROM "${schema}".jobs WHERE status = 'processing' ORDER BY id LIMIT 20`,
    );
    if (processing.rows.length > 0) {
      leaks.push(`schema ${schema}: job(s) ${processing.rows.map((row) => row.id).join(', ')} left processing`);
    }
  }
  return leaks;
}
