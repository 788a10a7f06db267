import { LOCALES, type LocaleCode, type Messages } from './locales.js';

export type MessageKey = keyof Messages;

/** Translates keys and formats dates and numbers for one locale. */
export class Translator {
  private readonly messages: Partial<Messages>;
  private readonly dates: Intl.DateTimeFormat;
  private readonly numbers: Intl.NumberFormat;

  constructor(readonly locale: LocaleCode) {
    this.messages = LOCALES[locale];
    this.dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    this.numbers = new Intl.NumberFormat(locale);
  }

  /** `t('jobs.count', { count: 3 })`: `{name}` placeholders are replaced; English fills any gap. */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    const template = this.messages[key] ?? LOCALES.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (match, name: string) =>
      Object.hasOwn(params, name) ? String(typeof params[name] === 'number' ? this.number(params[name]) : params[name]) : match,
    );
  }

  date(value: Date | string | null | undefined): string {
    return value ? this.dates.format(new Date(value)) : '—';
  }

  number(value: number): string {
    return this.numbers.format(value);
  }
}

/**
 * Picks the locale: `?locale=` first, then the best match in the browser's Accept-Language
 * (exact tag, then language), then the module's default.
 */
export function resolveLocale(query: string | undefined, acceptLanguage: string | undefined, fallback: LocaleCode): LocaleCode {
  const supported = Object.keys(LOCALES) as LocaleCode[];
  const match = (tag: string): LocaleCode | undefined => {
    const lower = tag.trim().toLowerCase();
    return (
      supported.find((code) => code.toLowerCase() === lower) ??
      supported.find((code) => code.split('-')[0].toLowerCase() === lower.split('-')[0])
    );
  };
  if (query) {
    const picked = match(query);
    if (picked) return picked;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const picked = match(tag);
    if (picked) return picked;
  }
  return fallback;
}
