import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { WorkerInfo } from './worker-store.js';

/** This process as a worker: the id every claim is stamped with. */
export function createWorkerInfo(queues: string): WorkerInfo {
  const host = hostname();
  return { id: `${host}:${process.pid}:${randomBytes(3).toString('hex')}`, hostname: host, pid: process.pid, queues };
}
