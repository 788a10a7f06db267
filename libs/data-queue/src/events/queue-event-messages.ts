import type { JobEvent } from '../core/job-events.js';
import type { QueueEvent } from '../core/queue-events.js';

/** Postgres refuses a NOTIFY payload of 8,000 bytes or more; a message stays well below. */
const MAX_MESSAGE_BYTES = 7_000;
/** So that one event always fits a message, however long the error a handler threw. */
const MAX_FAILURE_MESSAGE_LENGTH = 1_000;

/** What a process publishes of an event it made: the facts, without payload or output. */
export function toQueueEvent({ event, job, failure, durationMs, action }: JobEvent, by: string): QueueEvent {
  return {
    event,
    jobId: job.id,
    jobType: job.jobType,
    queue: job.queue,
    batchId: job.batchId,
    attempts: job.attempts,
    ...(failure && { failure: { ...failure, message: failure.message.slice(0, MAX_FAILURE_MESSAGE_LENGTH) } }),
    ...(durationMs !== undefined && { durationMs }),
    ...(action && { action }),
    at: new Date(),
    by,
  };
}

/** Events as NOTIFY payloads: JSON arrays, in order, each under the size limit. */
export function packMessages(events: QueueEvent[]): string[] {
  const messages: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const event of events) {
    const text = JSON.stringify(event);
    const size = Buffer.byteLength(text) + 1;
    if (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      messages.push(`[${current.join(',')}]`);
      current = [];
      bytes = 2;
    }
    current.push(text);
    bytes += size;
  }
  if (current.length > 0) messages.push(`[${current.join(',')}]`);
  return messages;
}

export function unpackMessage(payload: string): QueueEvent[] {
  return (JSON.parse(payload) as (Omit<QueueEvent, 'at'> & { at: string })[]).map((event) => ({ ...event, at: new Date(event.at) }));
}
