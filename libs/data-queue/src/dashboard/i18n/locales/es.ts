import type { Messages } from '../locales.js';

export const es: Partial<Messages> = {};
