import type { Messages } from '../locales.js';

export const ptBR: Partial<Messages> = {};
