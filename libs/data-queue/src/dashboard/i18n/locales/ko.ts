import type { Messages } from '../locales.js';

export const ko: Partial<Messages> = {};
