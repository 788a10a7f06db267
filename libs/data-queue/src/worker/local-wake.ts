import { Injectable } from '@nestjs/common';

/**
 * Tells this app's worker pools about jobs this app just committed, due now, so they claim at
 * once instead of after the NOTIFY's trip through Postgres and the LISTEN connection (which
 * still wakes every other process). An enqueue from a controller of a worker app saves that
 * hop, and with `listen: false` its job starts without waiting for the next poll.
 */
@Injectable()
export class LocalWake {
  private wakePools: ((queues: string[]) => void) | null = null;

  /** The worker runtime, while its pools run. */
  attach(wakePools: (queues: string[]) => void): void {
    this.wakePools = wakePools;
  }

  detach(): void {
    this.wakePools = null;
  }

  /** Jobs in `queues` are committed and due. */
  committed(queues: string[]): void {
    if (queues.length > 0) this.wakePools?.(queues);
  }
}
