/**
 * Named latches that handlers wait on and tests open, so a test decides exactly when a running
 * job may finish (no sleeps). A wait also ends, rejecting with the abort reason, when the job's
 * signal aborts, so a cancelled, timed-out or shut-down job never hangs a test.
 */
export class Gates {
  private readonly opened = new Set<string>();
  private readonly waiters = new Map<string, (() => void)[]>();

  wait(name: string, signal?: AbortSignal): Promise<void> {
    if (this.opened.has(name)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.waiters.get(name) ?? [];
      list.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      this.waiters.set(name, list);
    });
  }

  open(name: string): void {
    this.opened.add(name);
    for (const release of this.waiters.get(name) ?? []) release();
    this.waiters.delete(name);
  }

  /** Opens every gate anyone waits on (for afterAll, before closing apps). */
  openAll(): void {
    for (const name of [...this.waiters.keys()]) this.open(name);
  }
}

/** Resolves when `signal` aborts (a handler that only ends by timeout or cancellation). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
