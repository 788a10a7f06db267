import { Injectable } from '@nestjs/common';
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
 * dependents follow, level by level.
 */
@Injectable()
export class DependencyTracker implements JobTransitionListener {
  /** The dependents' rows. */
  readonly locks = 'jobs';

  constructor(database: QueueDatabase) {
    database.transitions.subscribe(this);
  }

  follows(move: JobMove): boolean {
    return move.job.hasDependents || isRetriedDependent(move);
  }

  async jobsMoved(tx: QueueStore, moves: JobMove[]): Promise<void> {
    const ofPrerequisites = moves.filter((move) => move.job.hasDependents);
    await tx.dependencies.prerequisitesSucceeded(ofPrerequisites.filter((m) => m.to === 'succeeded').map((m) => m.job.id));
    await tx.dependencies.prerequisitesDiscarded(
      ofPrerequisites.filter((m) => m.to === 'discarded' || m.to === null).map((m) => ({ id: m.job.id, outcome: outcomeOf(m) })),
    );
    await tx.dependencies.prerequisitesReopened(
      ofPrerequisites.filter((m) => m.from === 'discarded' && m.to === 'pending').map((m) => m.job.id),
    );
    await tx.dependencies.dependentsRetried(moves.filter(isRetriedDependent).map((m) => m.job.id));
  }
}

/** A dependent run again (retryJob, retryBatch): it waits again if dependencies are left. */
function isRetriedDependent({ job, from, to }: JobMove): boolean {
  return job.dependenciesLeft !== null && from === 'discarded' && to === 'pending';
}

function outcomeOf({ job, to }: JobMove): DiscardOutcome {
  if (to === null) return 'was deleted';
  return job.status === 'cancelled' ? 'was cancelled' : 'failed';
}
