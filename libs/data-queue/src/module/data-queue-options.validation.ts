import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import {
  DEFAULT_BACKOFF,
  DEFAULT_RETENTION,
  type DataQueueModuleOptions,
  type ResolvedDataQueueOptions,
} from '../core/data-queue-options.js';
import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';
import { parseQueuePools } from '../worker/queue-pools.js';

class BackoffSchema {
  @IsOptional() @IsInt() @Min(0) baseMs?: number;
  @IsOptional() @IsNumber() @Min(1) factor?: number;
  @IsOptional() @IsInt() @Min(0) maxMs?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) jitter?: number;
}

const IsQueuePools = () =>
  ValidateBy({
    name: 'isQueuePools',
    validator: {
      validate: (value) => typeof value === 'string' && poolsError(value) === null,
      defaultMessage: (args) =>
        typeof args?.value === 'string' ? `queues ${poolsError(args.value)}` : 'queues must be a string such as "mail:2;*:5"',
    },
  });

const IsPostgresDataSource = () =>
  ValidateBy({
    name: 'isPostgresDataSource',
    validator: {
      validate: (value) => value?.options?.type === 'postgres' && typeof value?.initialize === 'function',
      defaultMessage: () => 'dataSource must be a TypeORM DataSource of type "postgres"',
    },
  });

class RetentionSchema {
  @IsOptional() @IsInt() @Min(0) completedAfterMs?: number;
  @IsOptional() @IsInt() @Min(0) failedAfterMs?: number;
  @IsOptional() @IsInt() @Min(0) cancelledAfterMs?: number;
  @IsOptional() @IsInt() @Min(100) intervalMs?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) batchSize?: number;
}

class DataQueueOptionsSchema {
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'url must start with postgres://' })
  url?: string;

  @IsOptional() @IsPostgresDataSource() dataSource?: unknown;

  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'directUrl must start with postgres://' })
  directUrl?: string;

  @IsOptional() @IsBoolean() listen?: boolean;
  @IsOptional() @IsBoolean() preparedStatements?: boolean;

  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,47}$/, { message: 'schema must be a lower-case SQL identifier of at most 48 characters' })
  schema?: string;

  @IsOptional() @IsBoolean() autoMigrate?: boolean;
  @IsOptional() @IsIn(['async', 'external', 'inline']) mode?: string;
  @IsOptional() @IsQueuePools() queues?: string;
  @IsOptional() @IsInt() @Min(10) pollIntervalMs?: number;
  @IsOptional() @IsInt() @Min(0) shutdownTimeoutMs?: number;
  @IsOptional() @IsInt() @Min(50) heartbeatIntervalMs?: number;
  @IsOptional() @IsInt() @Min(100) workerTimeoutMs?: number;
  @IsOptional() @IsInt() @Min(100) batchReconcileIntervalMs?: number;
  @IsOptional() @IsArray() cron?: unknown[];
  @IsOptional() @IsInt() @Min(0) cronCatchUpMs?: number;
  @IsOptional() @IsBoolean() runCron?: boolean;
  @IsOptional()
  @ValidateIf((options: DataQueueOptionsSchema) => options.retention !== false)
  @ValidateNested()
  @Type(() => RetentionSchema)
  retention?: RetentionSchema | false;
  @IsOptional() @IsInt() @Min(1) maxPayloadBytes?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) poolSize?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) defaultMaxAttempts?: number;
  @IsOptional() @ValidateNested() @Type(() => BackoffSchema) defaultBackoff?: BackoffSchema;
  @IsOptional() @IsBoolean() strictJobTypes?: boolean;
}

/** Validates module options and fills in defaults; throws `DataQueueOptionsInvalidError` naming the option. */
export function resolveDataQueueOptions(options: DataQueueModuleOptions): ResolvedDataQueueOptions {
  const { dataSource, ...plain } = options ?? {};
  const schema = plainToInstance(DataQueueOptionsSchema, plain);
  schema.dataSource = dataSource;
  const [error] = validateSync(schema, { forbidUnknownValues: false });
  if (error) {
    const { path, messages } = firstViolation(error);
    throw new DataQueueOptionsInvalidError(path, messages.join('; '));
  }
  const url = options.url ?? process.env.DATABASE_URL;
  if (!dataSource && !url) {
    throw new DataQueueOptionsInvalidError('url', 'set url, dataSource or the DATABASE_URL environment variable');
  }
  const resolved: ResolvedDataQueueOptions = {
    url,
    dataSource,
    directUrl: options.directUrl,
    listen: options.listen ?? true,
    preparedStatements: options.preparedStatements ?? true,
    schema: options.schema ?? 'data_queue',
    autoMigrate: options.autoMigrate ?? true,
    mode: options.mode ?? 'async',
    queues: options.queues ?? '*:5',
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    workerTimeoutMs: options.workerTimeoutMs ?? 30_000,
    batchReconcileIntervalMs: options.batchReconcileIntervalMs ?? 60_000,
    cron: options.cron ?? [],
    cronCatchUpMs: options.cronCatchUpMs ?? 600_000,
    runCron: options.runCron ?? (options.mode ?? 'async') !== 'inline',
    retention: { ...DEFAULT_RETENTION, ...(options.retention || {}), enabled: options.retention !== false },
    maxPayloadBytes: options.maxPayloadBytes ?? 1_048_576,
    poolSize: options.poolSize ?? 10,
    defaultMaxAttempts: options.defaultMaxAttempts ?? 3,
    defaultBackoff: { ...DEFAULT_BACKOFF, ...options.defaultBackoff },
    strictJobTypes: options.strictJobTypes ?? true,
  };
  if (resolved.workerTimeoutMs < 2 * resolved.heartbeatIntervalMs) {
    throw new DataQueueOptionsInvalidError(
      'workerTimeoutMs',
      `must be at least twice heartbeatIntervalMs (${resolved.heartbeatIntervalMs}) so one late heartbeat does not look like a crash`,
    );
  }
  if (resolved.directUrl && !resolved.listen) {
    throw new DataQueueOptionsInvalidError('directUrl', 'is only used for LISTEN, which listen: false turns off; drop one of them');
  }
  return resolved;
}

function poolsError(spec: string): string | null {
  try {
    parseQueuePools(spec);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function firstViolation(error: ValidationError, prefix = ''): { path: string; messages: string[] } {
  const path = prefix + error.property;
  if (error.constraints) return { path, messages: Object.values(error.constraints) };
  return firstViolation(error.children![0], `${path}.`);
}
