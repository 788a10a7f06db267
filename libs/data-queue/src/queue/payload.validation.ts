import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { JobPayloadInvalidError, type PayloadViolation } from '../core/data-queue.errors.js';
import type { SettingsContext } from '../core/job-settings.validation.js';
import { unstorableText } from '../core/storable-text.js';

/**
 * Serializes a payload to JSON text. Anything JSON would drop or change silently (functions,
 * symbols, NaN/Infinity, NUL characters Postgres cannot store) is rejected naming its path, as
 * are BigInts, cycles and payloads over `maxBytes`.
 */
export function serializePayload(
  payload: unknown,
  context: Required<Pick<SettingsContext, 'jobType'>> & SettingsContext,
  maxBytes: number,
): string {
  const reject = (path: string, message: string): never => {
    throw new JobPayloadInvalidError(context.jobType, [{ path, constraints: { isJson: message } }], context.index);
  };
  if (payload === undefined) reject('payload', 'payload is required (use null or {} for none)');
  let json: string;
  try {
    json = JSON.stringify(payload);
    const problem = jsonProblem(payload, 'payload');
    if (problem) reject(problem.path, problem.message);
  } catch (error) {
    if (error instanceof JobPayloadInvalidError) throw error;
    return reject('payload', `payload is not JSON-serializable: ${(error as Error).message}`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) reject('payload', `payload is ${bytes} bytes, over the limit of ${maxBytes} (maxPayloadBytes)`);
  return json;
}

/**
 * Deepest nesting of objects and arrays a payload or output may have. Real payloads stay far
 * below it; far deeper ones overflow the stack of class-transformer (at about 1,500 levels) and
 * bloat every page that shows them, so they are refused up front, with or without a DTO.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The first value under `path` that JSON would not keep as it is, or Postgres could not store,
 * or that nests deeper than MAX_JSON_DEPTH (call it after JSON.stringify, which already threw on
 * cycles and BigInts).
 */
export function jsonProblem(value: unknown, path: string, seen = new Set<object>(), depth = 0): { path: string; message: string } | null {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return { path, message: `${path} is a ${typeof value}, which JSON cannot hold` };
    case 'number':
      return Number.isFinite(value) ? null : { path, message: `${path} is ${value}, which JSON cannot hold` };
    case 'string': {
      const problem = unstorableText(value);
      return problem ? { path, message: `${path} ${problem}` } : null;
    }
    case 'object': {
      if (value === null || seen.has(value)) return null;
      seen.add(value);
      const source = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
      if (source !== value) return jsonProblem(source, path, seen, depth);
      if (depth >= MAX_JSON_DEPTH) return { path, message: `${path} nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` };
      for (const [key, child] of Object.entries(value)) {
        const keyProblem = unstorableText(key);
        if (keyProblem) return { path: `${path}.${key}`, message: `the key of ${path}.${key} ${keyProblem}` };
        const problem = jsonProblem(child, `${path}.${key}`, seen, depth + 1);
        if (problem) return problem;
      }
      return null;
    }
    default:
      return null;
  }
}

/** Validates `payload` against a handler's class-validator DTO; throws listing every violation. */
export async function validatePayload(
  dto: Type<object>,
  payload: unknown,
  context: Required<Pick<SettingsContext, 'jobType'>> & SettingsContext,
): Promise<void> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new JobPayloadInvalidError(
      context.jobType,
      [{ path: 'payload', constraints: { isObject: `payload must be an object matching ${dto.name}` } }],
      context.index,
    );
  }
  let errors: ValidationError[];
  try {
    errors = await validate(plainToInstance(dto, payload), { forbidUnknownValues: false });
  } catch (error) {
    // A DTO's transform or custom validator that throws is a bad payload, not a server error.
    const message = `payload could not be validated against ${dto.name}: ${(error as Error)?.message ?? String(error)}`;
    throw new JobPayloadInvalidError(context.jobType, [{ path: 'payload', constraints: { validator: message } }], context.index);
  }
  if (errors.length > 0) throw new JobPayloadInvalidError(context.jobType, flatten(errors, 'payload'), context.index);
}

function flatten(errors: ValidationError[], parent: string): PayloadViolation[] {
  return errors.flatMap((error) => {
    const path = `${parent}.${error.property}`;
    const own = error.constraints ? [{ path, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
