import type { Logger } from '@nestjs/common';

export interface EventListenerMethod<Event> {
  /** `Class.method`, for the log line of a listener that throws. */
  name: string;
  run: (event: Event) => unknown;
}

/**
 * Calls each listener with `event` after the current call stack, isolated from the others and
 * from the caller: one that throws is logged (with `about`, naming the event and job) and changes
 * nothing. `event` is frozen first, so no listener can change what another sees.
 */
export function callListeners<Event>(logger: Logger, listeners: EventListenerMethod<Event>[], event: Event, about: string): void {
  deepFreeze(event);
  for (const { name, run } of listeners) {
    Promise.resolve()
      .then(() => run(event))
      .catch((error: unknown) => logger.warn(`${name} threw on ${about}: ${String(error)}`));
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
