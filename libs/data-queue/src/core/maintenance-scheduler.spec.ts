import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ResolvedDataQueueOptions } from './data-queue-options.js';
import { MaintenanceScheduler } from './maintenance-scheduler.js';

/** A task that counts its runs; each run lasts until `finish()` when `manual`, else returns at once. */
function countingTask(name: string, intervalMs: number | null, manual = false) {
  const pending: (() => void)[] = [];
  const task = {
    name,
    intervalMs,
    runs: 0,
    run: async () => {
      task.runs++;
      if (manual) await new Promise<void>((resolve) => pending.push(resolve));
    },
    finish: () => pending.splice(0).forEach((resolve) => resolve()),
  };
  return task;
}

describe('MaintenanceScheduler', () => {
  let registry: SchedulerRegistry;
  let scheduler: MaintenanceScheduler;
  let warnings: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    registry = new SchedulerRegistry();
    scheduler = new MaintenanceScheduler({ schema: 'jobs' } as ResolvedDataQueueOptions, registry);
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  });

  afterEach(() => {
    // Not awaited: a test may leave a run in flight on purpose.
    void scheduler.stop();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('runs a task every intervalMs, the first run one interval after it is scheduled', async () => {
    const task = countingTask('heartbeat', 100);
    scheduler.schedule(task);
    await jest.advanceTimersByTimeAsync(99);
    expect(task.runs).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(task.runs).toBe(1);
    await jest.advanceTimersByTimeAsync(250);
    expect(task.runs).toBe(3);
  });

  it('skips the ticks that find the previous run of the task unfinished', async () => {
    const slow = countingTask('retention', 100, true);
    scheduler.schedule(slow);
    await jest.advanceTimersByTimeAsync(500);
    expect(slow.runs).toBe(1);
    slow.finish();
    await jest.advanceTimersByTimeAsync(100);
    expect(slow.runs).toBe(2);
  });

  it('logs a failed run, naming the task, and runs the task again on the next tick', async () => {
    let runs = 0;
    scheduler.schedule({
      name: 'crash-reaper',
      intervalMs: 100,
      run: async () => {
        runs++;
        throw new Error('connection terminated');
      },
    });
    await jest.advanceTimersByTimeAsync(200);
    expect(runs).toBe(2);
    const warning = 'periodic task "crash-reaper" failed: Error: connection terminated';
    expect(warnings).toEqual([warning, warning]);
  });

  it('starts registered tasks at start(), and a task registered after start() at once', async () => {
    const early = countingTask('batch-reconciler', 100);
    scheduler.register(early);
    await jest.advanceTimersByTimeAsync(300);
    expect(early.runs).toBe(0);
    scheduler.start();
    const late = countingTask('retention', 100);
    scheduler.register(late);
    await jest.advanceTimersByTimeAsync(100);
    expect([early.runs, late.runs]).toEqual([1, 1]);
  });

  it('never runs a task whose interval is null', async () => {
    const off = countingTask('retention', null);
    scheduler.register(off);
    scheduler.start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(off.runs).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
  });

  it("keeps its intervals in @nestjs/schedule's registry as dataqueue:<schema>:<task>, unref'd", () => {
    scheduler.schedule(countingTask('heartbeat', 100));
    scheduler.register(countingTask('retention', 100));
    scheduler.start();
    expect(registry.getIntervals()).toEqual(['dataqueue:jobs:heartbeat', 'dataqueue:jobs:retention']);
    for (const name of registry.getIntervals()) expect(registry.getInterval<NodeJS.Timeout>(name).hasRef()).toBe(false);
  });

  it('stop() clears its intervals from the registry, and no task runs after it', async () => {
    const own = countingTask('poll', 100);
    const registered = countingTask('batch-reconciler', 100);
    scheduler.schedule(own);
    scheduler.register(registered);
    scheduler.start();
    await jest.advanceTimersByTimeAsync(100);
    await scheduler.stop();
    expect(registry.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect([own.runs, registered.runs]).toEqual([1, 1]);
  });

  it('stop() passes over intervals @nestjs/schedule cleared at shutdown before it', async () => {
    scheduler.schedule(countingTask('heartbeat', 100));
    scheduler.schedule(countingTask('poll', 100));
    registry.deleteInterval('dataqueue:jobs:heartbeat');
    await expect(scheduler.stop()).resolves.toBeUndefined();
    expect(registry.getIntervals()).toEqual([]);
  });

  it('stop() aborts the signal of a run in flight and resolves only once that run has ended', async () => {
    const seen: AbortSignal[] = [];
    let finish!: () => void;
    scheduler.schedule({
      name: 'retention',
      intervalMs: 100,
      run: (stopping) => {
        seen.push(stopping);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    await jest.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect([seen.length, seen[0].aborted, stopped]).toEqual([1, true, false]);
    finish();
    await stopping;
    expect(stopped).toBe(true);
  });
});
