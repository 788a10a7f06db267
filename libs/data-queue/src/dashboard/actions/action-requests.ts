import { BadRequestException } from '@nestjs/common';
import type { PauseTarget } from '../../scheduling/pause.service.js';
import { parseJobsFilter } from '../queries/jobs-filter.js';
import type { JobsFilter, PauseKind } from '../views/view-models.js';
import { isJobId } from '../../queue/ids.js';

export const BULK_LIMIT = 10_000;

export type JobAction = 'retry' | 'cancel' | 'delete' | 'reschedule';

export interface JobActionRequest {
  action: JobAction;
  /** Chosen rows, or… */
  ids?: string[];
  /** …every job matching the list's filter ("select all matching"). */
  filter?: JobsFilter;
  runAt?: Date;
}

/** Checks an action body; anything malformed is a 400 naming the field. */
export function parseJobActionRequest(body: unknown): JobActionRequest {
  const input = (body ?? {}) as Record<string, unknown>;
  const action = input.action as JobAction;
  if (!['retry', 'cancel', 'delete', 'reschedule'].includes(action)) bad('action must be retry, cancel, delete or reschedule');
  const ids = input.ids;
  const hasIds = Array.isArray(ids);
  if (hasIds === (input.filter !== undefined)) bad('give either ids or filter');
  if (hasIds && (ids.length > BULK_LIMIT || !ids.every((id) => typeof id === 'string' && isJobId(id)))) {
    bad(`ids must be at most ${BULK_LIMIT} job ids`);
  }
  let runAt: Date | undefined;
  if (action === 'reschedule') {
    runAt = new Date(String(input.runAt));
    if (Number.isNaN(runAt.getTime())) bad('runAt must be a date');
  }
  const filter = hasIds ? undefined : parseJobsFilter(input.filter as Record<string, unknown>);
  return { action, ids: hasIds ? (ids as string[]) : undefined, filter, runAt };
}

export function parsePauseRequest(body: unknown): { target: PauseTarget; paused: boolean } {
  const input = (body ?? {}) as Record<string, unknown>;
  const kind = input.kind as PauseKind;
  if (!['queue', 'jobType', 'tag'].includes(kind)) bad('kind must be queue, jobType or tag');
  if (typeof input.value !== 'string' || input.value.length === 0) bad('value must be a non-empty string');
  if (typeof input.paused !== 'boolean') bad('paused must be true or false');
  return { target: { [kind]: input.value } as PauseTarget, paused: input.paused as boolean };
}

function bad(message: string): never {
  throw new BadRequestException(message);
}
