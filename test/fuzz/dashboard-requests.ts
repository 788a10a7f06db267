import { randomBytes } from 'node:crypto';
import type { DashboardClient } from '../support/dashboard-app.js';
import type { ActionRequest, CookieChoice, PageRequest } from './arbitraries.js';

/** A request still unanswered after this is a hang. */
const REQUEST_TIMEOUT_MS = 8_000;

export interface Answer {
  status: number;
  /** The start of the body, to show in a failure. */
  excerpt: string;
}

/** Sends a generated page GET, with the session's cookie when it asks for it. */
export function sendPage(client: DashboardClient, request: PageRequest): Promise<Answer> {
  const headers: Record<string, string> = {};
  const cookie = cookieHeader(client, request.cookie);
  if (cookie !== null) headers.cookie = cookie;
  if (request.acceptLanguage !== null) headers['accept-language'] = request.acceptLanguage;
  return send(`${client.baseUrl}${request.path}`, { method: 'GET', headers });
}

/** Sends a generated action POST, with the CSRF cookie, header and Origin it asks for. */
export function sendAction(client: DashboardClient, request: ActionRequest): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.contentType !== null) headers['content-type'] = request.contentType;
  if (request.contentEncoding !== null) headers['content-encoding'] = request.contentEncoding;
  const { csrf } = request;
  const sendsCookie = csrf !== 'none' && csrf !== 'header only';
  if (sendsCookie) headers.cookie = client.cookie!;
  if (csrf === 'valid' || csrf === 'header only') headers['x-dataqueue-csrf'] = client.token!;
  if (csrf === 'another token') headers['x-dataqueue-csrf'] = randomBytes(32).toString('hex');
  if (typeof csrf === 'object') headers['x-dataqueue-csrf'] = csrf.header;
  if (request.origin === 'own') headers.origin = new URL(client.baseUrl).origin;
  if (typeof request.origin === 'object') headers.origin = request.origin.value;
  return send(`${client.baseUrl}${request.path}`, { method: 'POST', headers, body: request.body });
}

function cookieHeader(client: DashboardClient, choice: CookieChoice): string | null {
  if (choice.kind === 'session') return client.cookie;
  return choice.kind === 'raw' ? choice.value : null;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await response.text();
  return { status: response.status, excerpt: body.slice(0, 1_000) };
}

/** Throws (failing the case) on a 5xx, with the body, which names the error. */
export function assertBelow500(answer: Answer): void {
  if (answer.status >= 500) throw new Error(`answered ${answer.status}: ${answer.excerpt}`);
}

export function isRejection(answer: Answer): boolean {
  return answer.status >= 400 && answer.status < 500;
}
