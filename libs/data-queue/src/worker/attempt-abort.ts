/**
 * The abort state of one running attempt: why it was aborted (timeout, cancel, shutdown), and
 * `ctx.signal`. Most handlers never read their signal, and an AbortController plus an abort
 * listener per job cost a fair share of a worker's CPU on short jobs; so the controller is
 * created only when the handler reads `ctx.signal` (already aborted if the attempt was), and the
 * attempt ends on abort through a stored reject callback rather than an event listener.
 */
export class AttemptAbort {
  /** Why the attempt was aborted; null while it was not. The first reason stays, as with AbortController. */
  reason: Error | null = null;
  private controller: AbortController | null = null;
  /** Rejects the pending `until`. */
  private end: ((reason: Error) => void) | null = null;

  /** The handler's `ctx.signal`, aborted with `reason`. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.end?.(reason);
    this.controller?.abort(reason);
  }

  /** Settles as `work` does, or rejects with the reason as soon as the attempt is aborted, whatever `work` does. */
  until<T>(work: Promise<T>): Promise<T> {
    if (this.reason) return Promise.reject(this.reason);
    return new Promise<T>((resolve, reject) => {
      this.end = reject;
      work.then(resolve, reject);
    });
  }
}
