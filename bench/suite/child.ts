/**
 * One (system, workload) in a process of its own, so that each system's memory, JIT state and
 * module graph are its own. Forked by main.ts with the task in BENCH_TASK; answers over IPC.
 */
import 'reflect-metadata';
import { CpuMeter } from './cpu.js';
import { StatementMeter } from './statements.js';
import { createSystem, SYSTEMS } from './systems/index.js';
import { AdminDb, mb } from './util.js';
import { WalMeter } from './wal.js';
import { WORKLOADS, warmUp } from './workloads.js';
import type { ChildResult, ChildTask } from './types.js';

const task = JSON.parse(process.env.BENCH_TASK ?? 'null') as ChildTask | null;
if (!task || !process.send) throw new Error('child.ts is started by bench/suite/main.ts');

const started = performance.now();
const baselineRss = process.memoryUsage.rss();
const admin = new AdminDb(task.url);
let result: ChildResult;
let settings = '';
try {
  const system = await createSystem(task.system, task.url, admin, task.redisUrl);
  settings = system.settings;
  const info = SYSTEMS.find((s) => s.id === task.system)!;
  await warmUp(system, task.sizes, info.workloads.includes('W1'));
  // A system with a server of its own (BullMQ's Redis) writes no WAL, and its CPU is that server's.
  const onPostgres = system.serverPid === undefined;
  const wal = onPostgres ? await WalMeter.locate(admin) : undefined;
  const cpu = onPostgres ? await CpuMeter.locate(admin) : CpuMeter.forProcess(system.serverPid);
  const statements = onPostgres ? await StatementMeter.locate(admin) : undefined;
  const metrics = await WORKLOADS[task.workload](system, task.sizes, { cpu, wal, statements }, task.run);
  if (task.workload === 'W1') metrics.baselineRss = { value: mb(baselineRss), unit: 'MB' };
  result = {
    system: task.system,
    workload: task.workload,
    durability: task.durability,
    settings,
    metrics,
    ...(wal && Object.keys(wal.measured).length ? { walRecords: wal.measured } : {}),
    durationMs: Math.round(performance.now() - started),
  };
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  result = {
    system: task.system,
    workload: task.workload,
    durability: task.durability,
    settings,
    metrics: {},
    error: message,
    durationMs: Math.round(performance.now() - started),
  };
}
await admin.close().catch(() => undefined);
process.send(result, () => process.exit(0));
