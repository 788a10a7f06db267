import type { Messages } from '../locales.js';

export const de: Partial<Messages> = {};
