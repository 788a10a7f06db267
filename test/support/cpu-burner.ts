import { spawn } from 'node:child_process';

/** A process spinning one core (`node -e 'for(;;){}'`): runs a test as on a busy machine. */
export interface CpuBurner {
  stop(): Promise<void>;
}

export function startCpuBurner(): CpuBurner {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
