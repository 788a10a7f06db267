import type { SqlExecutor } from './sql/executor.js';
import { publishedJobTypesSql, publishJobTypesSql } from './sql/job-types.sql.js';

export interface PublishedJobTypeRow {
  job_type: string;
  /** The settings as published (JSON); JobTypeCatalog knows their shape. */
  settings: unknown;
}

export function jobTypeStatements(s: string) {
  return { publish: publishJobTypesSql(s), read: publishedJobTypesSql(s) };
}

/** Job types' settings as the apps that handle them published them (see sql/job-types.sql.ts). */
export class JobTypeStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof jobTypeStatements>,
  ) {}

  /** `settingsJson[i]` is the settings of `jobTypes[i]`; the latest publisher wins. */
  async publish(jobTypes: string[], settingsJson: string[], publisher: string): Promise<void> {
    await this.db.rows(this.sql.publish, [jobTypes, settingsJson, publisher]);
  }

  /** The published settings of those of `jobTypes` that have any. */
  async read(jobTypes: string[]): Promise<PublishedJobTypeRow[]> {
    return this.db.rows<PublishedJobTypeRow>(this.sql.read, [jobTypes]);
  }
}
