import { Injectable } from '@nestjs/common';
import { JobEventBus } from '../core/job-event-bus.js';
import type { JobEvent } from '../core/job-events.js';
import type { DiscardOutcome } from '../store/dependency-store.js';
import type { JobMove } from '../store/job-moves.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { JobTransitionListener, QueueStore } from '../store/queue-store.js';

/**
 * Keeps dependents (`dependsOn`) in step with their dependencies. It hears every move of a job
 * with dependents inside the transaction that moved it, so a dependent is released, cancelled,
 * failed or held again in that same transaction — whichever path moved the dependency (a
 * completion, a final failure, the crash reaper, cancel, delete, retry). The changes it makes
 * to dependents are moves too, announced in turn: batches count them, and the dependents' own
 * dependents follow, level by level. Once the transaction commits, the dependents it cancelled,
 * failed or held again are announced as job events (`action: 'dependency'`).
 */
@Injectable()
export class DependencyTracker implements JobTransitionListener {
  /** The dependents' rows. */
  readonly locks = 'jobs';

  constructor(
    database: QueueDatabase,
    private readonly events: JobEventBus,
  ) {
    database.transitions.subscribe(this);
  }

  follows(move: JobMove): boolean {
    return move.job.hasDependents || isRetriedDependent(move);
  }

  async jobsMoved(tx: QueueStore, moves: JobMove[]): Promise<void> {
    const ofPrerequisites = moves.filter((move) => move.job.hasDependents);
    const discarded = ofPrerequisites.filter((m) => m.to === 'discarded' || m.to === null);
    const reopened = ofPrerequisites.filter((m) => m.from === 'discarded' && m.to === 'pending');
    // Registered before the cascade runs, so this level's events come before those of the levels below it.
    const announced: JobEvent[] = [];
    if (discarded.length + reopened.length > 0) tx.afterCommit(() => announced.forEach((event) => this.events.emit(event)));

    await tx.dependencies.prerequisitesSucceeded(ofPrerequisites.filter((m) => m.to === 'succeeded').map((m) => m.job.id));
    const settled = await tx.dependencies.prerequisitesDiscarded(discarded.map((m) => ({ id: m.job.id, outcome: outcomeOf(m) })));
    const heldAgain = await tx.dependencies.prerequisitesReopened(reopened.map((m) => m.job.id));
    await tx.dependencies.dependentsRetried(moves.filter(isRetriedDependent).map((m) => m.job.id));
    announced.push(...[...settled, ...heldAgain].flatMap(eventOf));
  }
}

/** The job event of a dependent the cascade moved between buckets (a release stays pending: none). */
function eventOf({ job, from, to }: JobMove): JobEvent[] {
  if (from === to) return [];
  if (to === 'pending') return [{ event: 'retried', job, action: 'dependency' }];
  if (job.status === 'cancelled') return [{ event: 'cancelled', job, action: 'dependency' }];
  const message = job.errorHistory.at(-1)?.message ?? 'a dependency failed before succeeding';
  return [{ event: 'failed', job, action: 'dependency', failure: { reason: 'dependency_failed', message, willRetry: false } }];
}

/** A dependent run again (retryJob, retryBatch): it waits again if dependencies are left. */
function isRetriedDependent({ job, from, to }: JobMove): boolean {
  return job.dependenciesLeft !== null && from === 'discarded' && to === 'pending';
}

function outcomeOf({ job, to }: JobMove): DiscardOutcome {
  if (to === null) return 'was deleted';
  return job.status === 'cancelled' ? 'was cancelled' : 'failed';
}
