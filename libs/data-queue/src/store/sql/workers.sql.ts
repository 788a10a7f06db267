/** Registers a worker process or refreshes its heartbeat (re-registering it if it was reaped). */
export const heartbeatSql = (s: string) => `
INSERT INTO ${s}.workers (id, hostname, pid, queues) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`;

export const unregisterWorkerSql = (s: string) => `DELETE FROM ${s}.workers WHERE id = $1`;
