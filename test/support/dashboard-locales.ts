// The dashboard's message catalogues, read straight from the library's sources: they are not
// public API, but tests must expect whatever text each locale really ships (English fills gaps,
// as the dashboard's Translator does).
import { LOCALES, type LocaleCode, type Messages } from '../../libs/data-queue/src/dashboard/i18n/locales.js';

export type { LocaleCode };
export type MessageKey = keyof Messages;

/** The text the dashboard shows for `key` in `locale`, with `{name}` placeholders filled. */
export function translated(locale: LocaleCode, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template: string = (LOCALES[locale] as Partial<Messages>)[key] ?? LOCALES.en[key];
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

/** True when `locale` translates `key` itself rather than falling back to English. */
export function hasOwnTranslation(locale: LocaleCode, key: MessageKey): boolean {
  return (LOCALES[locale] as Partial<Messages>)[key] !== undefined;
}
