import { html, type Html } from './html.js';
import { compactJson, prettyJson } from './json-text.js';
import type { PageContext } from './view-models.js';

/**
 * The most one page renders of what jobs and their handlers control. Payloads, outputs, error
 * messages and stacks can be megabytes, and a page is sent again on every live refresh: past
 * these caps a block is cut, with a notice linking to its raw JSON.
 */
export const PAGE_BUDGET = {
  /** Characters of one JSON block: a payload, an output, a batch's attributes. */
  jsonBlockChars: 64_000,
  /** Characters of one error message or stack trace. */
  errorTextChars: 8_000,
  /** Characters of a one-line label: an error's name, a failure in the timeline, a batch description as a link. */
  labelChars: 200,
  /** Attempts a job page lists, and failures its timeline shows: the latest (a job may fail up to 1,000 times, more when retried). */
  attempts: 10,
  /** Tags a row of a jobs table shows (a job carries up to 32; its page lists them all). */
  tagsPerRow: 5,
  /** Steps a flow page lists (a flow may have 10,000; the jobs list filtered by batch pages through them all). */
  flowSteps: 500,
  /** Nodes (steps and the outside jobs they run after) and links the flow graph draws: past either, it is not drawn. */
  flowGraphNodes: 200,
  flowGraphLinks: 1_000,
  /** Fair keys the Queues page lists per queue, those with the most backlog (the others are summed in one line). */
  fairKeysPerQueue: 10,
} as const;

/** A part of a page within the budget: the text to show, and a notice when it was cut. */
export interface BoundedText {
  text: string;
  notice: Html;
}

const NO_NOTICE = html``;

/** `value` as pretty JSON in a `<pre>`, cut past the budget; `rawHref` serves all of it. */
export function jsonBlock(ctx: PageContext, value: unknown, { testId, rawHref }: { testId: string; rawHref: string }): Html {
  const { text, notice } = boundedJson(ctx, value, rawHref);
  return html`<pre data-testid="${testId}">${text}</pre>${notice}`;
}

function boundedJson(ctx: PageContext, value: unknown, rawHref: string): BoundedText {
  const pretty = leading(prettyJson(value), PAGE_BUDGET.jsonBlockChars);
  if (pretty.whole) return { text: pretty.text, notice: NO_NOTICE };
  const compact = compactJson(value);
  // Indentation is most of a deeply nested value's pretty form: its compact form may fit whole.
  if (compact.length <= PAGE_BUDGET.jsonBlockChars) return { text: compact, notice: NO_NOTICE };
  return { text: `${pretty.text}…`, notice: truncationNotice(ctx, pretty.text, compact, rawHref) };
}

/** An error message or stack trace, cut past the budget; `rawHref` serves all of it. */
export function errorText(ctx: PageContext, text: string, rawHref: string): BoundedText {
  const shown = leading([text], PAGE_BUDGET.errorTextChars);
  return shown.whole ? { text, notice: NO_NOTICE } : { text: `${shown.text}…`, notice: truncationNotice(ctx, shown.text, text, rawHref) };
}

/** A one-line label, ending in "…" when cut. */
export function oneLine(text: string): string {
  const shown = leading([text], PAGE_BUDGET.labelChars);
  return shown.whole ? text : `${shown.text}…`;
}

/** Says the page lists only the latest `shown` of `total` attempts; `rawHref` serves the errors of all. */
export function latestAttemptsNotice(ctx: PageContext, { shown, total, rawHref }: { shown: number; total: number; rawHref: string }): Html {
  return notice(ctx, ctx.i18n.t('truncated.latestAttempts', { shown, total }), rawHref);
}

function truncationNotice(ctx: PageContext, shown: string, whole: string, rawHref: string): Html {
  return notice(ctx, ctx.i18n.t('truncated.shownOf', { shown: byteSize(ctx, shown), total: byteSize(ctx, whole) }), rawHref);
}

function notice(ctx: PageContext, text: string, rawHref: string): Html {
  const openRaw = ctx.i18n.t('truncated.openRaw');
  return html`<p class="muted" data-testid="truncated">${text} <a href="${rawHref}" type="application/json">${openRaw}</a></p>`;
}

/** "850 byte", "64 kB", "8.1 MB" in the page's locale: the UTF-8 size of `text`. */
function byteSize(ctx: PageContext, text: string): string {
  const bytes = Buffer.byteLength(text);
  const [unit, value] = bytes < 1_000 ? ['byte', bytes] : bytes < 1_000_000 ? ['kilobyte', bytes / 1_000] : ['megabyte', bytes / 1_000_000];
  return new Intl.NumberFormat(ctx.locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/**
 * The first `chars` characters of the pieces joined (never half a surrogate pair), and whether
 * that is all of them; reads no further pieces than it needs.
 */
function leading(pieces: Iterable<string>, chars: number): { text: string; whole: boolean } {
  let text = '';
  for (const piece of pieces) {
    text += piece;
    if (text.length > chars) {
      const end = isHighSurrogate(text.charCodeAt(chars - 1)) ? chars - 1 : chars;
      return { text: text.slice(0, end), whole: false };
    }
  }
  return { text, whole: true };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
