export interface WaitForOptions {
  /** Deadline, default 10 s. */
  timeoutMs?: number;
  /** Pause between probes, default 25 ms. */
  intervalMs?: number;
}

export class WaitForTimeoutError extends Error {
  constructor(
    description: string,
    timeoutMs: number,
    readonly lastValue: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${description}; last observed: ${describe(lastValue)}`);
    this.name = 'WaitForTimeoutError';
  }
}

/**
 * Polls `probe` every `intervalMs` until `until(value)` holds, and returns that value. On the
 * deadline it throws with `description` and the last value observed, so a failing test says what
 * it was waiting for and how far things got. The tests' only way to wait: no bare sleeps.
 */
export function waitFor<T, U extends T>(
  description: string,
  probe: () => T | Promise<T>,
  until: (value: T) => value is U,
  options?: WaitForOptions,
): Promise<U>;
export function waitFor<T>(
  description: string,
  probe: () => T | Promise<T>,
  until: (value: T) => boolean,
  options?: WaitForOptions,
): Promise<T>;
/** Without `until`: waits for a truthy value. */
export function waitFor<T>(description: string, probe: () => T | Promise<T>): Promise<NonNullable<T>>;
export async function waitFor<T>(
  description: string,
  probe: () => T | Promise<T>,
  until: (value: T) => boolean = Boolean,
  { timeoutMs = 10_000, intervalMs = 25 }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (until(value)) return value;
    if (Date.now() >= deadline) throw new WaitForTimeoutError(description, timeoutMs, value);
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
    if (text === undefined) return String(value);
    return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
  } catch {
    return String(value);
  }
}
