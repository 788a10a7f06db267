/** The raw JSON of a value: what the raw JSON routes serve, and what truncation notices measure. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/**
 * `JSON.stringify(value, null, 2)` piece by piece, so a reader that wants only the start stops
 * the work there: indentation grows with depth, so the whole pretty form of a large, deeply
 * nested value can be many times its compact size.
 */
export function* prettyJson(value: unknown): Generator<string> {
  yield* pieces(jsonValueOf(value) ?? null, '');
}

function* pieces(value: unknown, indent: string): Generator<string> {
  if (value === null || typeof value !== 'object') {
    yield JSON.stringify(value);
    return;
  }
  const inner = `${indent}  `;
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  let empty = true;
  const member = function* (label: string, item: unknown): Generator<string> {
    yield `${empty ? open : ','}\n${inner}${label}`;
    empty = false;
    yield* pieces(item, inner);
  };
  if (Array.isArray(value)) {
    for (const item of value) yield* member('', jsonValueOf(item) ?? null);
  } else {
    for (const key of Object.keys(value)) {
      const json = jsonValueOf((value as Record<string, unknown>)[key]);
      if (json !== undefined) yield* member(`${JSON.stringify(key)}: `, json);
    }
  }
  yield empty ? `${open}${close}` : `\n${indent}${close}`;
}

/** What JSON.stringify writes for `value` (its `toJSON()`), or undefined for what it leaves out. */
function jsonValueOf(value: unknown): unknown {
  const json = typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
  return typeof json === 'function' || typeof json === 'symbol' ? undefined : json;
}
