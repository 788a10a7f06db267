import type { Messages } from '../locales.js';

export const ja: Partial<Messages> = {};
