/** Reasons a running job's `ctx.signal` is aborted; the executor acts on which one it was. */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
  constructor(timeoutMs: number) {
    super(`job timed out after ${timeoutMs} ms`);
  }
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
  constructor(jobId: string) {
    super(`job ${jobId} was cancelled`);
  }
}

export class WorkerShutdownError extends Error {
  override name = 'WorkerShutdownError';
  constructor() {
    super('worker is shutting down; the job is handed back');
  }
}

/** The job moved on while this worker ran it (reaped as interrupted, then retried or deleted): the run's writes would be dropped. */
export class JobRunLostError extends Error {
  override name = 'JobRunLostError';
  constructor(jobId: string, jobType: string, attempt: number, status: string | null) {
    super(`job ${jobId} (${jobType}): attempt ${attempt} no longer runs here; the job is ${status ?? 'deleted'}`);
  }
}
