import type { Messages } from '../locales.js';

export const fr: Partial<Messages> = {};
