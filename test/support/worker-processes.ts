import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = 'test/fixtures/worker-process.ts';
const SKEW_CLOCK = './test/fixtures/skew-clock.ts';

export interface WorkerProcessEnv {
  /** Defaults to the suite's server. */
  DATABASE_URL?: string;
  DQ_SCHEMA: string;
  DQ_QUEUES?: string;
  DQ_POLL_INTERVAL_MS?: string;
  /** 'false': no LISTEN connection, the worker polls only. */
  DQ_LISTEN?: string;
  DQ_HEARTBEAT_INTERVAL_MS?: string;
  DQ_WORKER_TIMEOUT_MS?: string;
  DQ_SHUTDOWN_TIMEOUT_MS?: string;
  DQ_BATCH_RECONCILE_INTERVAL_MS?: string;
  DQ_CRON_EVERY_SECOND?: string;
  /** The child's wall clock runs this many ms off (test/fixtures/skew-clock.ts). */
  DQ_CLOCK_SKEW_MS?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running test/fixtures/worker-process.ts child. */
export class WorkerProcess {
  private stderrText = '';
  private stdoutText = '';
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | null = null;

  constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdoutText += chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  /** Resolves once the child printed 'ready'; rejects with its stderr if it exits or misses the deadline. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (/^ready$/m.test(this.stdoutText)) {
          cleanup();
          resolve();
        }
      };
      const onExit = (exit: ProcessExit) => {
        cleanup();
        reject(new Error(`worker process ${this.pid} exited (${describeExit(exit)}) before it was ready:\n${this.stderrText}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker process ${this.pid} not ready after ${timeoutMs} ms; stderr:\n${this.stderrText}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
      };
      this.child.stdout!.on('data', check);
      void this.exited.then(onExit);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; SIGKILLs after `timeoutMs` and rejects. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL');
        reject(new Error(`worker process ${this.pid} still running ${timeoutMs} ms after ${signal}; stderr:\n${this.stderrText}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts one worker process per environment and waits until every one printed 'ready' (on a
 * failure, kills them all). Stop them with `stopAll`, whatever the test did to them; a test
 * cluster (cluster.ts) does both.
 */
export async function spawnWorkers(envs: WorkerProcessEnv[], readyTimeoutMs = 30_000): Promise<WorkerProcess[]> {
  const { NODE_OPTIONS: _jestNodeOptions, ...parentEnv } = process.env;
  const workers = envs.map((env) => {
    const skew = env.DQ_CLOCK_SKEW_MS ? ['--import', SKEW_CLOCK] : [];
    const child = spawn(process.execPath, ['--conditions=@dataqueue/source', '--import', './tools/register-ts.js', ...skew, FIXTURE], {
      cwd: ROOT,
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child);
  });
  try {
    await Promise.all(workers.map((worker) => worker.ready(readyTimeoutMs)));
  } catch (error) {
    await stopAll(workers, 'SIGKILL');
    throw error;
  }
  return workers;
}

/** Stops every worker still running (default SIGTERM, SIGKILL after the deadline). */
export async function stopAll(workers: WorkerProcess[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.allSettled(workers.map((worker) => worker.stop(signal)));
}

function describeExit({ code, signal }: ProcessExit): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** Rethrows a failed wait with the worker processes' stderr attached (why a worker did not act). */
export async function withWorkerLogs<T>(workers: WorkerProcess[], wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const logs = workers.map((w) => `--- worker ${w.pid} stderr ---\n${w.stderr || '(empty)'}`).join('\n');
    (error as Error).message += `\n${logs}`;
    throw error;
  }
}
