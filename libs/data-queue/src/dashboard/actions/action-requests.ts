import { BadRequestException } from '@nestjs/common';
import type { CronEntryDefinition } from '../../core/cron-entry.js';
import { JOB_STATES, type JobState } from '../../core/job-states.js';
import { STORABLE_DATE, storableDate } from '../../core/storable-date.js';
import { isJobId, isUuid } from '../../queue/ids.js';
import type { PauseTarget } from '../../scheduling/pause.service.js';
import { decodeJobCursor } from '../queries/keyset.js';
import type { JobsFilter, PauseKind } from '../views/view-models.js';

/** The most ids one action may name (it then works through them in chunks, see `next`). */
export const MAX_ACTION_IDS = 10_000;

export type JobAction = 'retry' | 'cancel' | 'delete' | 'reschedule';

export interface JobActionRequest {
  action: JobAction;
  /** Chosen rows, or… */
  ids?: string[];
  /** …every job matching the list's filter ("select all matching"); `{}` after `{ all: true }`. */
  filter?: JobsFilter;
  runAt?: Date;
  /** From the `next` of the previous answer: go on with the jobs below this id (they are walked newest first). */
  below?: string;
}

/** Checks an action body; anything malformed is a 400 naming the field. */
export function parseJobActionRequest(body: unknown): JobActionRequest {
  const input = (body ?? {}) as Record<string, unknown>;
  const action = input.action as JobAction;
  if (!['retry', 'cancel', 'delete', 'reschedule'].includes(action)) bad('action must be retry, cancel, delete or reschedule');
  const ids = input.ids;
  const hasIds = Array.isArray(ids);
  if (hasIds === (input.filter !== undefined)) bad('give either ids or filter');
  if (hasIds && (ids.length > MAX_ACTION_IDS || !ids.every((id) => typeof id === 'string' && isJobId(id)))) {
    bad(`ids must be at most ${MAX_ACTION_IDS} job ids`);
  }
  let runAt: Date | undefined;
  if (action === 'reschedule') {
    runAt = storableDate(input.runAt) ?? bad(`runAt must be ${STORABLE_DATE}`);
  }
  const filter = hasIds ? undefined : parseActionFilter(input.filter);
  return { action, ids: hasIds ? (ids as string[]) : undefined, filter, runAt, below: parseContinuation(input.next) };
}

/** `next` is absent (or null) on a first request, else exactly what the previous answer gave. */
function parseContinuation(next: unknown): string | undefined {
  if (next === undefined || next === null) return undefined;
  const below = typeof next === 'string' ? decodeJobCursor(next) : null;
  if (below === null) bad('next must be the "next" of the previous answer to the same action, unchanged');
  return below;
}

/** What an action's filter may name, with the longest value each takes. */
const FILTER_FIELDS: Record<Exclude<keyof JobsFilter, 'cursor'>, number> = {
  state: 255,
  queue: 255,
  jobType: 255,
  tag: 255,
  batchId: 36,
  search: 500,
};

/**
 * The filter of a destructive action, parsed strictly (the page's parser drops what it does not
 * understand, which here would widen the action): an unknown field or a bad value is a 400, and
 * acting on every job must be asked for as `{ all: true }`.
 */
export function parseActionFilter(value: unknown): JobsFilter {
  const shape = `filter must be an object of ${Object.keys(FILTER_FIELDS).join(', ')}, or { "all": true } for every job`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(shape);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === 'all' && entries[0][1] === true) return {};
  if (entries.length === 0) bad('filter names no field, so it matches every job: send { "all": true } to act on every job');
  const filter: Record<string, string> = {};
  for (const [field, raw] of entries) {
    if (!Object.hasOwn(FILTER_FIELDS, field)) bad(`filter.${field} is not a filter field (${shape})`);
    const max = FILTER_FIELDS[field as keyof typeof FILTER_FIELDS];
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '' || text.length > max || text.includes('\u0000'))
      bad(`filter.${field} must be a non-empty string of at most ${max} characters, without NUL`);
    if (field === 'state' && !JOB_STATES.includes(text as JobState)) bad(`filter.state must be one of ${JOB_STATES.join(', ')}`);
    if (field === 'batchId' && !isUuid(text)) bad('filter.batchId must be a batch id (a UUID)');
    filter[field] = text;
  }
  return filter;
}

export function parsePauseRequest(body: unknown): { target: PauseTarget; paused: boolean } {
  const input = (body ?? {}) as Record<string, unknown>;
  const kind = input.kind as PauseKind;
  if (!['queue', 'jobType', 'tag'].includes(kind)) bad('kind must be queue, jobType or tag');
  if (typeof input.value !== 'string' || input.value.length === 0) bad('value must be a non-empty string');
  if (typeof input.paused !== 'boolean') bad('paused must be true or false');
  return { target: { [kind]: input.value } as PauseTarget, paused: input.paused };
}

/** What the cron form sends: its text fields, payload and options as JSON text (empty fields left out). */
const CRON_FIELDS = ['key', 'schedule', 'timezone', 'jobType', 'payload', 'options'];

/**
 * The cron form's body as an entry for `upsertCron`, which checks the rest (and names the field).
 * Here: no unknown field, and payload and options must be JSON text.
 */
export function parseCronEntryRequest(body: unknown): CronEntryDefinition {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('the body must be a JSON object');
  const input = body as Record<string, unknown>;
  const other = Object.keys(input).find((field) => !CRON_FIELDS.includes(field));
  if (other !== undefined) bad(`${other} is not a field of a cron entry (${CRON_FIELDS.join(', ')})`);
  return { ...input, payload: jsonField(input, 'payload'), options: jsonField(input, 'options') } as CronEntryDefinition;
}

function jsonField(input: Record<string, unknown>, field: 'payload' | 'options'): unknown {
  const text = input[field];
  if (text === undefined) return undefined;
  if (typeof text !== 'string') bad(`${field} must be JSON text`);
  try {
    return JSON.parse(text);
  } catch (error) {
    return bad(`${field} must be JSON text: ${(error as Error).message}`);
  }
}

function bad(message: string): never {
  throw new BadRequestException(message);
}
