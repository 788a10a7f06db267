import type { JobRecord } from '../../core/job-record.js';
import type { AttemptView, TimelineEvent } from '../views/view-models.js';

/**
 * Every attempt of a job, from its error history (one entry per failed attempt, with its
 * start and end) and, for the latest attempt, its lock time and completion.
 */
export function attemptsOf(job: JobRecord): AttemptView[] {
  const failed: AttemptView[] = job.errorHistory.map((entry) => {
    const startedAt = entry.startedAt ? new Date(entry.startedAt) : null;
    const endedAt = new Date(entry.timestamp);
    return {
      attempt: entry.attempt,
      startedAt,
      endedAt,
      durationMs: startedAt ? endedAt.getTime() - startedAt.getTime() : null,
      outcome: 'failed',
      error: { name: entry.name, message: entry.message, stack: entry.stack, reason: entry.reason },
    };
  });
  if (job.status === 'processing') {
    failed.push({ attempt: job.attempts, startedAt: job.lockedAt, endedAt: null, durationMs: null, outcome: 'running', error: null });
  }
  if (job.status === 'completed') {
    const duration = job.lockedAt && job.completedAt ? job.completedAt.getTime() - job.lockedAt.getTime() : null;
    failed.push({
      attempt: job.attempts,
      startedAt: job.lockedAt,
      endedAt: job.completedAt,
      durationMs: duration,
      outcome: 'completed',
      error: null,
    });
  }
  return failed;
}

/** What happened to a job, oldest first, from its timestamps and error history. */
export function timelineOf(job: JobRecord): TimelineEvent[] {
  const events: TimelineEvent[] = [{ at: job.createdAt, event: 'created' }];
  if (job.startedAt) events.push({ at: job.startedAt, event: 'started' });
  for (const entry of job.errorHistory) {
    events.push({ at: new Date(entry.timestamp), event: 'failed', detail: `#${entry.attempt} ${entry.reason}: ${entry.message}` });
  }
  if (job.lastRetriedAt) events.push({ at: job.lastRetriedAt, event: 'retried' });
  if (job.lastCancelledAt) events.push({ at: job.lastCancelledAt, event: 'cancelled' });
  if (job.deadLetteredAt) events.push({ at: job.deadLetteredAt, event: 'deadLettered', detail: job.deadLetterJobId ?? undefined });
  if (job.completedAt) events.push({ at: job.completedAt, event: 'completed' });
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}
