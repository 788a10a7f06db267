import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { JobPayloadInvalidError, type PayloadViolation } from '../errors/data-queue.errors.js';
import type { SettingsContext } from './job-settings.validation.js';

/** Serializes a payload to JSON text; anything JSON cannot represent faithfully is rejected. */
export function serializePayload(payload: unknown, context: Required<Pick<SettingsContext, 'jobType'>> & SettingsContext): string {
  const reject = (message: string): never => {
    throw new JobPayloadInvalidError(context.jobType, [{ path: 'payload', constraints: { isJson: message } }], context.index);
  };
  if (payload === undefined) reject('payload is required (use null or {} for none)');
  try {
    return JSON.stringify(payload);
  } catch (error) {
    return reject(`payload is not JSON-serializable: ${(error as Error).message}`);
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
  const errors = await validate(plainToInstance(dto, payload), { forbidUnknownValues: false });
  if (errors.length > 0) throw new JobPayloadInvalidError(context.jobType, flatten(errors, 'payload'), context.index);
}

function flatten(errors: ValidationError[], parent: string): PayloadViolation[] {
  return errors.flatMap((error) => {
    const path = `${parent}.${error.property}`;
    const own = error.constraints ? [{ path, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
