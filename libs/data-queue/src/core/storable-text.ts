/**
 * Why Postgres would reject or alter this string in a `text` or `jsonb` column, or null: NUL
 * characters, and unpaired UTF-16 surrogates (JavaScript strings may hold them; UTF-8 cannot).
 * In a `u` regex a well-formed pair is one code point, so only a lone half matches.
 */
export function unstorableText(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character, which Postgres cannot store';
  if (/\p{Surrogate}/u.test(value)) return 'contains an unpaired UTF-16 surrogate, which Postgres cannot store';
  return null;
}

/** The string with every character Postgres cannot store replaced by U+FFFD (for error text, which must always be recordable). */
export function toStorableText(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is the character Postgres cannot store
  return value.replace(/\u0000|\p{Surrogate}/gu, '\ufffd');
}
