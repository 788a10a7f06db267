/** What a rule's key function sees beside the payload. */
export interface ConcurrencyKeyInput {
  jobType: string;
  tags: string[];
}

/**
 * Where a rule's key comes from. The declarative forms are data: they are published with the job
 * type, so any process can derive the key, with or without the handler. A function runs only in
 * an app that has the handler.
 * - `{ payload: 'account.id' }`: the value at that path of the payload;
 * - `{ tagPrefix: 'tenant:' }`: the first tag that starts with the prefix (the whole tag);
 * - `{ template: 'report:{payload.report}:{jobType}' }`: placeholders `{payload.<path>}` and
 *   `{jobType}`; a missing value leaves the job unlimited by the rule.
 */
// `any`: a key function typed for its own payload must fit the default (`unknown` would refuse it).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConcurrencyKeySpec<Payload = any> =
  | ((payload: Payload, job: ConcurrencyKeyInput) => string | null | undefined)
  | { payload: string }
  | { tagPrefix: string }
  | { template: string };

const PLACEHOLDER = /\{(jobType|payload\.[^{}]+)\}/g;

/** The key of a job under `spec`, or null when the rule does not apply to it. */
export function deriveKey(spec: ConcurrencyKeySpec, payload: unknown, input: ConcurrencyKeyInput): string | null {
  if (typeof spec === 'function') {
    const key = spec(payload, input);
    return key === null || key === undefined ? null : String(key);
  }
  if ('payload' in spec) return scalarText(valueAt(payload, spec.payload));
  if ('tagPrefix' in spec) return input.tags.find((tag) => tag.startsWith(spec.tagPrefix)) ?? null;
  let missing = false;
  const key = spec.template.replace(PLACEHOLDER, (_, name: string) => {
    const text = name === 'jobType' ? input.jobType : scalarText(valueAt(payload, name.slice('payload.'.length)));
    if (text === null) missing = true;
    return text ?? '';
  });
  return missing ? null : key;
}

/** Why `spec` is not a usable key, or null. */
export function keySpecProblem(spec: unknown): string | null {
  if (typeof spec === 'function') return null;
  const fields = typeof spec === 'object' && spec !== null ? Object.keys(spec) : [];
  const [field] = fields;
  const value = field === undefined ? undefined : (spec as Record<string, unknown>)[field];
  const form = fields.length === 1 && ['payload', 'tagPrefix', 'template'].includes(field) && typeof value === 'string' && value.length > 0;
  if (!form)
    return "must be a function of the payload, or one of { payload: 'path' }, { tagPrefix: 'prefix' }, { template: '…{payload.path}…' }";
  if (field === 'template' && !value.match(PLACEHOLDER)) return 'template must contain {payload.<path>} or {jobType}';
  return null;
}

function valueAt(payload: unknown, path: string): unknown {
  let value = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Strings, numbers and booleans make keys; anything else (missing, null, objects) does not. */
function scalarText(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
}
