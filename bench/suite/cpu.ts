/**
 * CPU time spent by this process and by the server (Postgres, or BullMQ's Redis) while a drain
 * runs, so the report can show where a drained job's time goes (and how much CPU per job the
 * machine has to give).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminDb } from './util.js';

/** Linux reports process CPU in clock ticks of 1/USER_HZ s, which is 100 on every mainstream build. */
const MS_PER_TICK = 10;

export interface CpuSnapshot {
  workerMs: number;
  /** null when the server's processes cannot be read (it runs elsewhere, or this is not Linux). */
  serverMs: number | null;
}

/** Takes synchronous snapshots, cheap enough to take inside a handler call. */
export class CpuMeter {
  private constructor(private readonly serverPid: number | null) {}

  /** Finds the server's postmaster through its data directory (readable when the server is local). */
  static async locate(admin: AdminDb): Promise<CpuMeter> {
    try {
      const [{ data_directory }] = await admin.query<{ data_directory: string }>('SHOW data_directory');
      return CpuMeter.forProcess(Number(readFileSync(join(data_directory, 'postmaster.pid'), 'utf8').split('\n')[0]));
    } catch {
      return new CpuMeter(null);
    }
  }

  /** Meters another server's process (and its children), e.g. Redis for BullMQ; no server CPU if it is not readable. */
  static forProcess(pid: number): CpuMeter {
    const meter = new CpuMeter(pid);
    try {
      meter.snapshot(); // throws here, not mid-drain, if the server's processes are not readable
      return meter;
    } catch {
      return new CpuMeter(null);
    }
  }

  snapshot(): CpuSnapshot {
    const { user, system } = process.cpuUsage();
    return { workerMs: (user + system) / 1000, serverMs: this.serverPid === null ? null : this.serverMs(this.serverPid) };
  }

  /**
   * The server's process and its children alive now (Postgres: the postmaster, its backends and
   * background processes; Redis: an AOF rewrite): a child that exits between two snapshots takes
   * its time with it, so the difference is a lower bound.
   */
  private serverMs(server: number): number {
    const children = readFileSync(`/proc/${server}/task/${server}/children`, 'utf8').split(' ').filter(Boolean);
    const ticks = [server, ...children.map(Number)].reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);
    return ticks * MS_PER_TICK;
  }
}

/** CPU µs per job between two snapshots. */
export interface CpuPerJob {
  workerUs: number;
  serverUs: number | null;
}

export function cpuPerJob(from: CpuSnapshot, to: CpuSnapshot, jobs: number): CpuPerJob {
  const per = (ms: number) => Math.round(((ms * 1000) / jobs) * 10) / 10;
  return {
    workerUs: per(to.workerMs - from.workerMs),
    serverUs: from.serverMs === null || to.serverMs === null ? null : per(to.serverMs - from.serverMs),
  };
}

/** utime + stime of one process, in ticks; null if it is gone or unreadable. */
function processTicks(pid: number): number | null {
  const stat = readStat(pid);
  return stat ? Number(stat[11]) + Number(stat[12]) : null;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, …]; utime and stime at 11 and 12. */
function readStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited meanwhile
  }
}
