import type { Messages } from '../locales.js';

export const zhCN: Partial<Messages> = {};
