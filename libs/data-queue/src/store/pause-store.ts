import type { SqlExecutor } from './sql/executor.js';
import { listPausesSql, pauseSql, resumeSql } from './sql/pauses.sql.js';

export interface PauseRow {
  kind: 'queue' | 'jobType' | 'tag';
  value: string;
  paused_at: Date;
}

export function pauseStatements(s: string) {
  return { pause: pauseSql(s), resume: resumeSql(s), list: listPausesSql(s) };
}

/** Pauses by queue, job type or tag (see sql/pauses.sql.ts); the claim skips the jobs they hold back. */
export class PauseStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof pauseStatements>,
    private readonly wakeChannel: string,
  ) {}

  async pause(kind: PauseRow['kind'], value: string): Promise<void> {
    await this.db.rows(this.sql.pause, [kind, value]);
  }

  /** Wakes every idle worker if the pause existed. */
  async resume(kind: PauseRow['kind'], value: string): Promise<void> {
    await this.db.rows(this.sql.resume, [kind, value, this.wakeChannel]);
  }

  async list(): Promise<PauseRow[]> {
    return this.db.rows<PauseRow>(this.sql.list);
  }
}
