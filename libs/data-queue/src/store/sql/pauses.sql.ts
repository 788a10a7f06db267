export const pauseSql = (s: string) => `
INSERT INTO ${s}.pauses (kind, value) VALUES ($1, $2) ON CONFLICT (kind, value) DO NOTHING`;

/** Resuming wakes every idle worker ($3: wake channel), since paused jobs may be runnable now. */
export const resumeSql = (s: string) => `
WITH resumed AS (DELETE FROM ${s}.pauses WHERE kind = $1 AND value = $2 RETURNING 1)
SELECT count(pg_notify($3, '*')) AS woken FROM resumed`;

export const listPausesSql = (s: string) => `SELECT kind, value, paused_at FROM ${s}.pauses ORDER BY paused_at, kind, value`;
