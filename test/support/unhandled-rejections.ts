/**
 * Records the process's unhandled rejections, so a test can fail on the very input that caused
 * one. Jest hands a test a copy of `process` whose listeners never fire: the spec file must run
 * in test/support/host-process-environment.js (docblock `@jest-environment`), which exposes the
 * real one.
 */
export class UnhandledRejections {
  private readonly reasons: unknown[] = [];
  private readonly listener = (reason: unknown) => {
    this.reasons.push(reason);
  };
  private readonly host: NodeJS.Process;

  constructor() {
    const host = (globalThis as { hostProcess?: NodeJS.Process }).hostProcess;
    if (!host)
      throw new Error('UnhandledRejections: run the spec in test/support/host-process-environment.js (@jest-environment docblock)');
    this.host = host;
  }

  start(): this {
    this.host.on('unhandledRejection', this.listener);
    return this;
  }

  stop(): void {
    this.host.off('unhandledRejection', this.listener);
  }

  /**
   * Throws if a rejection went unhandled since the last call. Node reports them once the
   * microtask queue has drained, so this first waits for the next turn of the event loop.
   */
  async assertNone(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const reasons = this.reasons.splice(0);
    if (reasons.length > 0) {
      const first = reasons[0];
      throw new Error(`${reasons.length} unhandled rejection(s), the first: ${first instanceof Error ? first.stack : String(first)}`);
    }
  }
}
