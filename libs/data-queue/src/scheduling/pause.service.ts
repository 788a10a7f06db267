import { Injectable } from '@nestjs/common';
import { JobOptionsInvalidError } from '../core/data-queue.errors.js';
import { unstorableText } from '../core/storable-text.js';
import { QueueDatabase } from '../store/queue-database.js';

/** What a pause holds back: every job of a queue, of a job type, or carrying a tag. */
export type PauseTarget = { queue: string } | { jobType: string } | { tag: string };

export interface PauseRecord {
  kind: 'queue' | 'jobType' | 'tag';
  value: string;
  pausedAt: Date;
}

/**
 * Pauses live in the database, so a pause or resume applies to every process at its next
 * claim. Paused jobs stay pending (nothing is lost); running jobs finish.
 */
@Injectable()
export class PauseService {
  constructor(private readonly database: QueueDatabase) {}

  async pause(target: PauseTarget): Promise<void> {
    const { kind, value } = parseTarget(target);
    await this.database.store.pauses.pause(kind, value);
  }

  async resume(target: PauseTarget): Promise<void> {
    const { kind, value } = parseTarget(target);
    await this.database.store.pauses.resume(kind, value);
  }

  async list(): Promise<PauseRecord[]> {
    const rows = await this.database.store.pauses.list();
    return rows.map((row) => ({ kind: row.kind, value: row.value, pausedAt: row.paused_at }));
  }
}

function parseTarget(target: PauseTarget): Omit<PauseRecord, 'pausedAt'> {
  const entries = Object.entries(target ?? {}).filter(([, value]) => value !== undefined);
  const [entry] = entries;
  if (entries.length !== 1 || !['queue', 'jobType', 'tag'].includes(entry[0])) {
    throw new JobOptionsInvalidError('target', 'give exactly one of { queue }, { jobType } or { tag }');
  }
  const [kind, value] = entry as [PauseRecord['kind'], unknown];
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new JobOptionsInvalidError(kind, 'must be a non-empty string of at most 255 characters');
  }
  const unstorable = unstorableText(value);
  if (unstorable) throw new JobOptionsInvalidError(kind, unstorable);
  return { kind, value };
}
