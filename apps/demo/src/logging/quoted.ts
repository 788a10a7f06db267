/**
 * What JSON.stringify leaves as is but a terminal or a log viewer acts on: DEL, C1 controls, line and
 * paragraph separators, bidi overrides.
 */
const UNSAFE_AFTER_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A user-supplied string as a double-quoted literal for a log line: newlines, escape codes and
 * the other controls become `\n`, `\u001b`…, so a request cannot forge log lines or drive the
 * terminal that shows them. `null` stays `null`.
 */
export function quoted(value: string | null): string {
  return JSON.stringify(value).replace(UNSAFE_AFTER_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
