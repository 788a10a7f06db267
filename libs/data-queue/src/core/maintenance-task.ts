/**
 * Periodic work of a process that runs workers: the heartbeat, the poll, the crash reaper, the
 * batch reconciler, retention. `MaintenanceScheduler` (core/maintenance-scheduler.ts) runs each
 * on its interval in @nestjs/schedule's registry; a feature above the worker registers its own.
 */
export interface MaintenanceTask {
  /** Names the interval in the registry, as `dataqueue:<schema>:<name>`: unique per module. */
  readonly name: string;
  /** Time between runs; null: the task is off in this process (e.g. `retention: false`). */
  readonly intervalMs: number | null;
  /**
   * One run. A rejection is logged, not thrown; a tick that finds the last run unfinished is
   * skipped. `stopping` aborts at shutdown: a long run ends early between its statements, since
   * shutdown waits for it before the pool closes.
   */
  run(stopping: AbortSignal): Promise<unknown>;
}
