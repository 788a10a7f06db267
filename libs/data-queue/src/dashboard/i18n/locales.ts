import { de } from './locales/de.js';
import { en, type Messages } from './locales/en.js';
import { es } from './locales/es.js';
import { fr } from './locales/fr.js';
import { ja } from './locales/ja.js';
import { ko } from './locales/ko.js';
import { ptBR } from './locales/pt-BR.js';
import { zhCN } from './locales/zh-CN.js';

export type { Messages };

export const LOCALES = {
  en,
  'zh-CN': zhCN,
  ko,
  ja,
  de,
  fr,
  es,
  'pt-BR': ptBR,
} satisfies Record<string, Partial<Messages>>;

export type LocaleCode = keyof typeof LOCALES;

/** Own keys only: `'constructor'` or `'toString'` is not a locale. */
export function isLocaleCode(value: unknown): value is LocaleCode {
  return typeof value === 'string' && Object.hasOwn(LOCALES, value);
}

/** Names of the locales in their own language, for the switcher. */
export const LOCALE_NAMES: Record<LocaleCode, string> = {
  en: 'English',
  'zh-CN': '简体中文',
  ko: '한국어',
  ja: '日本語',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
};
