import pg from 'pg';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Samples process RSS every `everyMs` and keeps the peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peak = 0;

  start(everyMs = 50): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.peak;
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The harness's own connection, for schema drops, backlog copies and completion checks. */
export class AdminDb {
  readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'bench-harness' });
  }

  async query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  async dropSchema(schema: string): Promise<void> {
    await this.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  }

  /**
   * Copies one template row `copies` times with one INSERT … SELECT. Identity, generated and the
   * `exclude`d columns (the id) take their defaults, so each copy is a new job like the template.
   */
  async cloneRow(table: string, templateWhere: string, params: unknown[], copies: number, exclude: string[]): Promise<void> {
    const [schema, name] = table.split('.');
    const columns = await this.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 AND is_identity = 'NO' AND is_generated = 'NEVER'
       ORDER BY ordinal_position`,
      [schema, name],
    );
    const list = columns
      .map((c) => c.column_name)
      .filter((c) => !exclude.includes(c))
      .map(ident)
      .join(', ');
    if (!list) throw new Error(`no columns found for ${table}`);
    await this.query(
      `INSERT INTO ${ident(schema)}.${ident(name)} (${list})
       SELECT ${list} FROM ${ident(schema)}.${ident(name)} AS template, generate_series(1, ${Number(copies)})
       WHERE ${templateWhere}`,
      params,
    );
    await this.query(`VACUUM ANALYZE ${ident(schema)}.${ident(name)}`);
  }

  /** ANALYZE every table of the schema (a partitioned parent includes its partitions). */
  async analyzeSchema(schema: string): Promise<void> {
    const tables = await this.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
      [schema],
    );
    for (const { name } of tables) await this.query(`ANALYZE ${ident(schema)}.${ident(name)}`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
