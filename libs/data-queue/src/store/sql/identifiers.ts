const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Quotes a (pre-validated) schema name for interpolation into SQL text. */
export function quoteIdent(name: string): string {
  if (!isValidIdentifier(name)) throw new Error(`invalid SQL identifier "${name}"`);
  return `"${name}"`;
}
