import { describe, expect, it } from '@jest/globals';
import { LOCALES, LOCALE_NAMES, type LocaleCode } from './locales.js';
import { resolveLocale, Translator } from './translator.js';

const english: Record<string, string> = LOCALES.en;
const englishKeys = Object.keys(english);
const locales = Object.entries(LOCALES) as [LocaleCode, Record<string, string | undefined>][];

/** The `{name}` placeholders of a message, sorted and without duplicates. */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]))].sort();
}

describe('dashboard locales', () => {
  it('each has a name for the switcher', () => {
    expect(Object.keys(LOCALE_NAMES).sort()).toEqual(Object.keys(LOCALES).sort());
  });

  describe.each(locales)('%s', (locale, messages) => {
    it('translates every English key', () => {
      const missing = englishKeys.filter((key) => typeof messages[key] !== 'string' || !messages[key]?.trim());
      // The locale is part of the compared value, so a failure names it with its missing keys.
      expect({ locale, missing }).toEqual({ locale, missing: [] });
    });

    it('has no key English does not have', () => {
      const extra = Object.keys(messages).filter((key) => !(key in english));
      expect({ locale, extra }).toEqual({ locale, extra: [] });
    });

    it('keeps the placeholders of every English message', () => {
      const mismatched = englishKeys
        .filter((key) => typeof messages[key] === 'string')
        .map((key) => ({ key, english: placeholders(english[key]), translated: placeholders(messages[key] as string) }))
        .filter(({ english, translated }) => english.join() !== translated.join());
      expect({ locale, mismatched }).toEqual({ locale, mismatched: [] });
    });
  });
});

describe('resolveLocale', () => {
  it('prefers ?locale= over Accept-Language', () => {
    expect(resolveLocale('fr', 'de-DE,de;q=0.9', 'en')).toBe('fr');
    expect(resolveLocale('pt-br', 'de-DE,de;q=0.9', 'en')).toBe('pt-BR');
  });

  it('ignores an unsupported ?locale= and falls back on Accept-Language', () => {
    expect(resolveLocale('xx', 'ja-JP,ja;q=0.9', 'en')).toBe('ja');
  });

  it('matches a region tag by its language', () => {
    expect(resolveLocale(undefined, 'ko-KR,ko;q=0.9', 'en')).toBe('ko');
    expect(resolveLocale(undefined, 'zh-Hans-CN', 'en')).toBe('zh-CN');
    expect(resolveLocale(undefined, 'pt-PT', 'en')).toBe('pt-BR');
  });

  it('follows the q weights, skipping unsupported languages', () => {
    expect(resolveLocale(undefined, 'fr;q=0.5, it, es;q=0.8', 'en')).toBe('es');
  });

  it('returns the fallback when nothing is supported', () => {
    expect(resolveLocale(undefined, 'it-IT,nl;q=0.8,*;q=0.1', 'de')).toBe('de');
    expect(resolveLocale(undefined, undefined, 'ja')).toBe('ja');
    expect(resolveLocale('', '', 'en')).toBe('en');
  });
});

describe('Translator', () => {
  it('replaces placeholders and leaves unknown ones as they are', () => {
    expect(new Translator('en').t('job.title', { id: 'abc' })).toBe('Job abc');
    expect(new Translator('fr').t('job.title', { id: 'abc' })).toBe('Tâche abc');
    expect(new Translator('ja').t('bulk.selectJob')).toBe('ジョブ {id} を選択');
  });

  it('formats numbers in the locale, placeholders included', () => {
    const de = new Translator('de');
    expect(de.number(1234567)).toBe('1.234.567');
    expect(de.t('client.affected', { count: 1234567 })).toBe('Geänderte Jobs: 1.234.567');
    expect(new Translator('en').number(1234567)).toBe('1,234,567');
  });

  it('formats dates in the locale', () => {
    // Noon UTC: the same calendar day in every time zone from UTC−11 to UTC+11.
    const at = new Date(Date.UTC(2024, 0, 15, 12));
    expect(new Translator('de').date(at)).toContain('15.01.2024');
    expect(new Translator('fr').date(at)).toContain('15 janv. 2024');
    expect(new Translator('ja').date(at)).toContain('2024/01/15');
    expect(new Translator('en').date(at.toISOString())).toContain('Jan 15, 2024');
    expect(new Translator('de').date(null)).toBe('—');
  });
});
