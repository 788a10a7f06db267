import pg from 'pg';
import { databaseUrl } from './unique-schema.js';

/** The tables a rejected request or call must leave exactly as they were. */
const TABLES = ['jobs', 'batches', 'pauses', 'cron_entries'] as const;

/**
 * md5 of every row of the queue's tables, one digest per table, to prove a call changed nothing:
 * take one before, one after, compare (a mismatch names the table that changed).
 */
export class TableChecksum {
  private constructor(
    private readonly client: pg.Client,
    private readonly schema: string,
  ) {}

  static async open(schema: string): Promise<TableChecksum> {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    return new TableChecksum(client, schema);
  }

  /** `{ jobs: '<md5>', batches: '<md5>', … }`; rows ordered by their text, so no key is assumed. */
  async take(): Promise<Record<(typeof TABLES)[number], string>> {
    const digests = TABLES.map(
      (table) => `(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM "${this.schema}".${table} t) AS ${table}`,
    );
    const { rows } = await this.client.query(`SELECT ${digests.join(', ')}`);
    return rows[0];
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
