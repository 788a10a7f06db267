export { startEmbeddedPostgres } from './start-embedded-postgres.js';
export type { EmbeddedPostgresHandle, EmbeddedPostgresOptions } from './start-embedded-postgres.js';
