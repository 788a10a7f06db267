import fc from 'fast-check';
import type { KnownValues } from './seeded-queue.js';

/*
 * Generators of hostile input for the fuzz tests. Most draw a real value (a seeded id, a field
 * name the code reads) most of the time and a hostile one otherwise, so that requests get past
 * the first check often enough to reach the deeper ones.
 */

// ───────────────────────────── hostile values ─────────────────────────────

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** Any code point, or one of the characters that break parsers, SQL, storage or HTML (NUL and lone surrogates above all). */
const hostileChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 1, arbitrary: fc.constantFrom(...LONE_SURROGATES) },
  { weight: 2, arbitrary: fc.constantFrom('\n', '\r', '\t', '\b', '"', "'", '`', '\\', '%', '&', '=', '?', '#', '/', '.', '<', '>', ' ') },
  { weight: 1, arbitrary: fc.constantFrom('\u202e', '\ufeff', '\ufffd', '\u0301', '\u{1f600}', 'é', 'ß', 'İ') },
);

/** Strings that code tends to treat specially. */
// prettier-ignore
const SPECIAL_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfff', 'null', 'undefined', 'NaN', 'Infinity', '-0', '0', '-1', '1e400',
  '9223372036854775807', '9223372036854775808', '18446744073709551616', '00000000000000000001', "x'; DROP TABLE jobs;--",
  '<script>alert(1)</script>', '{{7*7}}', '%00', '%s%n', '..', '../../etc/passwd', '\r\nSet-Cookie: x=1', 'infinity',
  '-infinity', 'epoch', 'now', 'allballs', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
];

/** Lengths at and just past the caps the code applies (128, 255, 500, 512, …), and far past them. */
const HUGE_LENGTHS = [128, 129, 255, 256, 500, 501, 512, 513, 10_001, 100_000];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: hostileChar, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE_LENGTHS).map((length) => 'x'.repeat(length)) },
);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-0, Number.NaN, Infinity, -Infinity, 2 ** 63, -(2 ** 63), 2 ** 64, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 31 - 1),
  fc.constantFrom(-(2 ** 31) - 1, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1e21, 0.5, -1, 0),
  fc.double(),
  fc.integer(),
);

/** The earliest instant a Postgres timestamptz holds (4714-11-24 BC). */
const EARLIEST_TIMESTAMPTZ_MS = Date.UTC(-4713, 10, 24);

/** Invalid dates, valid ones Postgres cannot store (before 4714-11-24 BC), and ones at the edges. */
const hostileDate: fc.Arbitrary<Date> = fc.oneof(
  fc
    .constantFrom(
      Number.NaN,
      8.64e15,
      -8.64e15,
      EARLIEST_TIMESTAMPTZ_MS,
      EARLIEST_TIMESTAMPTZ_MS - 1,
      Date.UTC(-1, 0, 1),
      Date.UTC(10_000, 0, 1),
      0,
    )
    .map((ms) => new Date(ms)),
  fc.date({ noInvalidDate: false }),
);

/** Text that `new Date(…)` or Postgres may read as a date, or may not. */
const dateText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1', '0', '2020-02-30', '2020-13-01', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z'),
  fc.constantFrom(
    '9999-12-31T23:59:59Z',
    'infinity',
    '-infinity',
    'epoch',
    'now',
    'today',
    '2020-01-01T00:00:00+99:00',
    'Tue, 01 Jan 2030 00:00:00 GMT',
  ),
  fc.date({ noInvalidDate: false }).map((date) => (Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString())),
  hostileString,
);

/** Keys with a meaning of their own to JavaScript, or hostile text. */
const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'toJSON', 'then', 'hasOwnProperty', 'length'),
  fc.string({ unit: hostileChar, maxLength: 12 }),
);

/** The value, printed as `label` in a counterexample (fast-check would print all of it). */
function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label });
  return value;
}

/** `levels` objects (or arrays) each holding the next. */
function nested(levels: number, kind: 'objects' | 'arrays'): object {
  let value: object = {};
  for (let i = 0; i < levels; i++) value = kind === 'arrays' ? [value] : { child: value };
  return value;
}

/** Nesting just under, at and over the 64-level cap, and deep enough to overflow a recursive walk. */
const deeplyNested: fc.Arbitrary<object> = fc
  .tuple(fc.constantFrom(63, 64, 65, 1_500, 20_000), fc.constantFrom('objects' as const, 'arrays' as const))
  .map(([levels, kind]) => labelled(nested(levels, kind), `nested(${levels}, '${kind}')`));

const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  hostileDate,
  fc.constantFrom(null, undefined, true, false, 2n ** 63n, -1n, Symbol('hostile'), () => 'a function'),
);

/** Anything a caller could pass: hostile scalars, odd objects (boxed, Map, typed array, null prototype, hostile keys), deep nesting. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileLeaf },
  {
    weight: 4,
    arbitrary: fc.anything({
      key: hostileKey,
      values: [hostileLeaf],
      maxDepth: 3,
      maxKeys: 5,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    }),
  },
  { weight: 1, arbitrary: deeplyNested },
);

/** Mostly `valid`, sometimes `hostile`. */
function mostly<T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

/** Mostly undefined (a field left out), sometimes `value`. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
}

/** An element of a list that may grow while the test runs (read when the value is drawn). */
function oneOfKnown(list: string[]): fc.Arbitrary<string> {
  return fc.nat().map((index) => list[index % list.length]);
}

/**
 * The same fields made hostile through their prototype: inherited instead of own (invisible to
 * Object.entries, visible to a property read), on a null-prototype object, or under an own
 * `__proto__` key (as JSON.parse makes one).
 */
function prototypeTricks(fields: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<object> {
  return fc.tuple(fields, fc.constantFrom('inherited', 'null prototype', 'own __proto__')).map(([record, trick]) => {
    const label = `${trick} ${fc.stringify(record)}`;
    if (trick === 'inherited') return labelled(Object.create(record) as object, label);
    if (trick === 'null prototype') return labelled(Object.assign(Object.create(null) as object, record), label);
    return labelled(Object.defineProperty({}, '__proto__', { value: record, enumerable: true }), label);
  });
}

/** Optional fields, each mostly valid, plus now and then a junk field. */
function shapedRecord(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const junk = fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(hostileKey, hostileValue, { maxKeys: 1 }) },
  );
  return fc.tuple(fc.record(fields, { requiredKeys: [] }), junk).map(([record, extra]) => ({ ...record, ...extra }));
}

// ───────────────────────────── ids, cursors ─────────────────────────────

/** Job id texts next to the real ones: zero, negative, padded, past bigint, not numbers. */
const JOB_ID_LOOKALIKES = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  ' 1',
  '1 ',
  '01',
  '+1',
  '999999999999999999',
  '1000000000000000000',
  '9223372036854775807',
  '9223372036854775808',
  'abc',
  '',
];

function jobIdText(known: KnownValues): fc.Arbitrary<string> {
  return mostly(oneOfKnown(known.jobIds), fc.oneof(fc.constantFrom(...JOB_ID_LOOKALIKES), hostileString));
}

function batchIdText(known: KnownValues): fc.Arbitrary<string> {
  const lookalikes = fc.oneof(
    fc.uuid(),
    oneOfKnown(known.batchIds).map((id) => id.toUpperCase()),
    oneOfKnown(known.batchIds).map((id) => id.replaceAll('-', '')),
    oneOfKnown(known.batchIds).map((id) => `${id}\u0000`),
    fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'not-a-uuid'),
  );
  return mostly(oneOfKnown(known.batchIds), fc.oneof(lookalikes, hostileString));
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** Cursors that decode to JSON of the wrong types or values, the other cursor format, and junk. */
function malformedCursor(known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => base64url(JSON.stringify(value))),
    fc.constantFrom('{"id":1e400}', '{"id":"1","__proto__":{"id":"2"}}', '[]', 'null', '{"id":null}').map(base64url),
    fc.oneof(oneOfKnown(known.jobIds), fc.constantFrom(...JOB_ID_LOOKALIKES)).map((id) => base64url(`before:${id}`)),
    fc.base64String({ maxLength: 40 }),
    hostileString,
  );
}

/** The jobs lists' keyset cursor `{ id }`, with real, look-alike or hostile ids. */
function jobsCursor(known: KnownValues): fc.Arbitrary<string> {
  const id = fc.oneof(
    oneOfKnown(known.jobIds),
    fc.constantFrom(...JOB_ID_LOOKALIKES),
    hostileNumber,
    fc.jsonValue({ maxDepth: 1 }),
    hostileString,
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ id }, { requiredKeys: [] }).map((key) => base64url(JSON.stringify(key))) },
    { weight: 1, arbitrary: malformedCursor(known) },
  );
}

/** The batches list's keyset cursor `{ at, id }`, with dates Postgres may not read and ids that may not be UUIDs. */
function batchesCursor(known: KnownValues): fc.Arbitrary<string> {
  const key = fc.record(
    { at: fc.oneof(dateText, fc.jsonValue({ maxDepth: 1 })), id: fc.oneof(oneOfKnown(known.batchIds), fc.uuid(), hostileString) },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 3, arbitrary: key.map((value) => base64url(JSON.stringify(value))) },
    { weight: 1, arbitrary: malformedCursor(known) },
  );
}

// ───────────────────────────── URLs ─────────────────────────────

/**
 * Percent-encodes every character but the unreserved ones. A lone surrogate becomes the three
 * bytes UTF-8 would give its code point (ED A0 80 for U+D800): bytes that are not valid UTF-8.
 */
function percentEncoded(text: string): string {
  let encoded = '';
  for (const char of text) {
    if (/^[A-Za-z0-9\-_.~]$/.test(char)) encoded += char;
    else
      encoded += utf8BytesOf(char.codePointAt(0)!)
        .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
  }
  return encoded;
}

function utf8BytesOf(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 63)];
  if (codePoint < 0x10000) return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 63), 0x80 | (codePoint & 63)];
  return [0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 63), 0x80 | ((codePoint >> 6) & 63), 0x80 | (codePoint & 63)];
}

/** Escapes a decoder may choke on: truncated, not hex, overlong NUL, bytes that are never UTF-8. */
const RAW_ESCAPES = ['%', '%2', '%zz', '%C0%80', '%FF', '%E2%82', '%ED%A0%80%ED%B0%80', '%00', '+', '%2B', '%26', '%3D', '%%'];

/** A query value or path segment, encoded: mostly `text` percent-encoded, sometimes with raw escapes mixed in. */
function urlText(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const withRawEscapes = fc
    .array(fc.oneof(text.map(percentEncoded), fc.constantFrom(...RAW_ESCAPES)), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(''));
  return fc.oneof({ weight: 4, arbitrary: text.map(percentEncoded) }, { weight: 1, arbitrary: withRawEscapes });
}

const JOB_STATES = ['pending', 'processing', 'retrying', 'waiting', 'failed', 'cancelled', 'completed'];
const BATCH_STATES = ['running', 'succeeded', 'discarded', 'finished'];
const LOCALES = ['en', 'de', 'es', 'fr', 'ja', 'ko', 'pt-BR', 'zh-CN', 'pt_br', 'PT-br', 'zh-Hans-CN', 'xx', 'de;q=1'];

/**
 * `key=value`, encoded: a fitting value or a hostile one, as often (a page changes nothing, so
 * no fitting value is needed to reach deeper checks).
 */
function param(key: string, values: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return urlText(fc.oneof(values, hostileString)).map((value) => `${key}=${value}`);
}

/** Parameters any page reads (locale, poll), and ones none does. */
function commonParam(): fc.Arbitrary<string> {
  const junkKey = fc.oneof(
    fc.constantFrom('state[]', 'state[0]', 'state[a]', 'cursor[id]', '__proto__', 'constructor', '', '&', '=', 'a.b'),
    hostileString,
  );
  return fc.oneof(
    param('locale', fc.constantFrom(...LOCALES)),
    param('poll', fc.constantFrom('1', '3600', '3601', '0', '-1', '1.5', '1e3', 'NaN', 'Infinity', '9007199254740993', '')),
    fc.tuple(urlText(junkKey), urlText(hostileString)).map(([key, value]) => `${key}=${value}`),
    urlText(hostileString),
  );
}

/** A page with a query string of the parameters it reads; a key may come more than once (`?state=a&state=b`). */
function pagePath(known: KnownValues): fc.Arbitrary<string> {
  const jobsParams = fc.oneof(
    param('state', fc.constantFrom(...JOB_STATES, 'RETRYING', 'all')),
    param('queue', oneOfKnown(known.queues)),
    param('jobType', oneOfKnown(known.jobTypes)),
    param('tag', oneOfKnown(known.tags)),
    param('batchId', batchIdText(known)),
    param('search', fc.oneof(oneOfKnown(known.jobIds), oneOfKnown(known.jobTypes), fc.constantFrom('%', '_', '\\', 'later', '"text"'))),
    param('cursor', jobsCursor(known)),
  );
  const batchesParams = fc.oneof(param('state', fc.constantFrom(...BATCH_STATES, 'pending', 'all')), param('cursor', batchesCursor(known)));
  const otherParams = commonParam();
  const at = (page: fc.Arbitrary<string>, params: fc.Arbitrary<string>) =>
    fc.tuple(page, fc.array(params, { maxLength: 6 })).map(([path, pairs]) => (pairs.length ? `${path}?${pairs.join('&')}` : path));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: at(
        fc.constantFrom('/jobs', '/jobs/'),
        fc.oneof({ weight: 4, arbitrary: jobsParams }, { weight: 1, arbitrary: otherParams }),
      ),
    },
    {
      weight: 2,
      arbitrary: at(
        fc.constantFrom('/batches', '/batches/'),
        fc.oneof({ weight: 4, arbitrary: batchesParams }, { weight: 1, arbitrary: otherParams }),
      ),
    },
    {
      weight: 2,
      arbitrary: at(
        urlText(batchIdText(known)).map((id) => `/batches/${id}`),
        fc.oneof(param('cursor', jobsCursor(known)), otherParams),
      ),
    },
    {
      weight: 1,
      arbitrary: at(
        urlText(jobIdText(known)).map((id) => `/jobs/${id}`),
        otherParams,
      ),
    },
    { weight: 2, arbitrary: at(fc.constantFrom('', '/', '/queues', '/cron', '/workers'), otherParams) },
  );
}

/** Header values fetch can send (ISO-8859-1, no NUL, CR or LF). */
const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((code) => code !== 0x7f)
      .map((code) => String.fromCharCode(code)),
    maxLength: 60,
  }),
  fc.constantFrom(...HUGE_LENGTHS).map((length) => 'x'.repeat(length)),
);

/** Which CSRF cookie a request carries: the session's, none, or a made-up header value. */
export type CookieChoice = { kind: 'session' } | { kind: 'none' } | { kind: 'raw'; value: string };

const cookieChoice: fc.Arbitrary<CookieChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'session' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        headerText.map((text) => `dataqueue_csrf=${text}`),
        fc.constant(`dataqueue_csrf=${'a'.repeat(64)}; dataqueue_csrf=${'b'.repeat(64)}`),
        headerText,
      )
      .map((value) => ({ kind: 'raw' as const, value })),
  },
);

export interface PageRequest {
  /** Below the mount path, query string included, already encoded. */
  path: string;
  acceptLanguage: string | null;
  cookie: CookieChoice;
}

/** A GET of one of the dashboard's pages with any query string, locale header and cookie. */
export function pageRequest(known: KnownValues): fc.Arbitrary<PageRequest> {
  const acceptLanguage = fc.oneof(
    fc.constant(null),
    fc.constantFrom(...LOCALES, 'fr-CH, fr;q=0.9, en;q=0.8', 'ja;q=0, ko', '*', 'de;q=NaN', ',,,', ';q=1'),
    headerText,
  );
  return fc.record({ path: pagePath(known), acceptLanguage, cookie: cookieChoice });
}

// ───────────────────────────── action bodies ─────────────────────────────

/**
 * A JSON literal of any type, or one JSON.parse turns into something else (1e400 → Infinity, -0, 2^63
 * rounded), or escapes Postgres cannot store.
 */
const hostileJsonLiteral: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1e400',
      '-1e400',
      '-0',
      '9223372036854775808',
      '18446744073709551616',
      '1e-400',
      '"\\u0000"',
      '"\\ud800"',
      '"x\\udfff"',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"all":true}}',
      '{"constructor":{"prototype":{"all":true}}}',
      '[]',
      '{}',
      'true',
      'false',
      'null',
      '""',
    ),
  },
  { weight: 2, arbitrary: hostileString.map((text) => JSON.stringify(text)) },
  { weight: 1, arbitrary: fc.constantFrom(100, 5_000).map((levels) => `${'['.repeat(levels)}${']'.repeat(levels)}`) },
);

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** A JSON object's text; keys may repeat (JSON.parse keeps the last). */
function objectText(entries: [string, string][]): string {
  return `{${entries.map(([key, literal]) => `${json(key)}:${literal}`).join(',')}}`;
}

/**
 * JSON objects made of the real fields (each mostly present, at most once, mostly plausible; an
 * undefined literal leaves the field out), now and then with an extra entry: a junk field, or a
 * real one again.
 */
function shapedObjectText(fields: Record<string, fc.Arbitrary<string | undefined>>): fc.Arbitrary<string> {
  const extraKey = fc.oneof(fc.constantFrom(...Object.keys(fields)), hostileKey);
  const extras = fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as [string, string][]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, hostileJsonLiteral), { minLength: 1, maxLength: 2 }) },
  );
  const entries = Object.entries(fields).map(([key, value]) =>
    fc.option(
      value.map((text): [string, string] | null => (text === undefined ? null : [key, text])),
      { nil: null, freq: 5 },
    ),
  );
  return fc
    .tuple(fc.tuple(...entries), extras)
    .map(([present, extra]) => objectText([...present.filter((entry) => entry !== null), ...extra]));
}

/** Mostly the JSON text of a plausible value, sometimes a hostile literal. */
function literal(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return mostly(valid.map(json), hostileJsonLiteral);
}

function jobsFilterText(known: KnownValues): fc.Arbitrary<string> {
  const filter = shapedObjectText({
    state: literal(fc.constantFrom(...JOB_STATES, 'RETRYING', ' failed ')),
    queue: literal(oneOfKnown(known.queues)),
    jobType: literal(oneOfKnown(known.jobTypes)),
    tag: literal(oneOfKnown(known.tags)),
    batchId: literal(batchIdText(known)),
    search: literal(fc.oneof(oneOfKnown(known.jobIds), fc.constantFrom('%', '_', 'later'))),
    cursor: literal(jobsCursor(known)),
  });
  return fc.oneof(
    { weight: 8, arbitrary: filter },
    // Rare: acts on every job (the seed is topped up after it).
    { weight: 1, arbitrary: fc.constant('{"all":true}') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '{"all":"true"}',
        '{"all":1}',
        '{"all":true,"queue":"mail"}',
        '{"all":false}',
        '{}',
        '[]',
        'null',
        '"all"',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"__proto__":{"all":true}}',
        '{"constructor":{"prototype":{"all":true}}}',
        '{"all":true,"__proto__":{"queue":"mail"}}',
      ),
    },
    { weight: 1, arbitrary: hostileJsonLiteral },
  );
}

function jobActionBody(known: KnownValues): fc.Arbitrary<string> {
  const action = literal(fc.constantFrom('retry', 'cancel', 'delete', 'reschedule'));
  const ids = mostly(
    fc.array(jobIdText(known), { maxLength: 5 }).map(json),
    // At and over the bulk limit.
    fc.constantFrom(10_000, 10_001).map((count) => json(Array.from({ length: count }, (_, i) => String(i + 1)))),
  );
  const filter = jobsFilterText(known);
  const runAt = literal(
    fc.oneof(
      dateText,
      fc.date().map((date) => date.toISOString()),
    ),
  );
  // The continuation of a bulk action over a filter: the `next` of the previous answer.
  const next = rarely(literal(fc.oneof(jobsCursor(known), fc.constant(null))));
  // Ids or a filter, as the page sends; both at once now and then.
  return fc.oneof(
    { weight: 4, arbitrary: shapedObjectText({ action, ids, runAt }) },
    { weight: 4, arbitrary: shapedObjectText({ action, filter, runAt, next }) },
    { weight: 1, arbitrary: shapedObjectText({ action, ids, filter, runAt, next }) },
  );
}

function pauseBody(known: KnownValues): fc.Arbitrary<string> {
  return shapedObjectText({
    kind: literal(fc.constantFrom('queue', 'jobType', 'tag', 'Queue', 'batch')),
    value: literal(fc.oneof(oneOfKnown(known.queues), oneOfKnown(known.jobTypes), oneOfKnown(known.tags), hostileString)),
    paused: literal(fc.oneof(fc.boolean(), fc.constantFrom('true', 1, 0, null))),
  });
}

/** The Cron page's form: text fields, payload and options as JSON text, schedules that never tick during a run. */
function cronFormBody(known: KnownValues): fc.Arbitrary<string> {
  return shapedObjectText({
    key: literal(fc.constantFrom('fuzz-runtime', ...known.cronKeys)),
    schedule: literal(fc.constantFrom('0 3 29 2 *', '0 0 3 29 2 *', '61 * * * *', '')),
    timezone: literal(fc.constantFrom('UTC', 'Asia/Tokyo', 'Mars/Olympus')),
    jobType: literal(fc.oneof(oneOfKnown(known.jobTypes), hostileString)),
    payload: literal(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map(json), hostileString)),
    options: literal(fc.oneof(fc.constantFrom('{}', '{"priority": 3}', '{"priority": 1.5}', '{"runAt": 1}', '[]'), hostileString)),
  });
}

/** Bodies that are not JSON, or not what a JSON parser expects: truncated, concatenated, form-encoded, huge, binary. */
const nonJsonBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 60 }),
  fc.constantFrom(
    '',
    '{',
    '{"action":',
    'action=delete&filter[all]=true',
    '<xml/>',
    'NaN',
    "{'a':1}",
    '\u0000',
    '{"a":1}{"b":2}',
    '\ufeff{}',
  ),
  fc
    .constantFrom(150_000, 2_000_000)
    .map((length) => labelled(new TextEncoder().encode(json('x'.repeat(length))), `a JSON string of ${length} characters`)),
  fc
    .constantFrom([0x7b, 0xff, 0xfe, 0x7d], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d], [0x1f, 0x8b, 0x08, 0x00])
    .map((bytes) => new Uint8Array(bytes)),
);

/** A body for an action that reads `shaped`: mostly shaped, else any JSON, or not JSON at all. */
function actionBody(shaped: fc.Arbitrary<string>): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    { weight: 1, arbitrary: hostileJsonLiteral },
    { weight: 1, arbitrary: nonJsonBody },
  );
}

/** How the CSRF pair is sent: both right, or one missing, wrong or malformed. */
export type CsrfChoice = 'valid' | 'none' | 'cookie only' | 'header only' | 'another token' | { header: string };

const csrfChoice: fc.Arbitrary<CsrfChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('valid' as const) },
  { weight: 3, arbitrary: fc.constantFrom('none' as const, 'cookie only' as const, 'header only' as const, 'another token' as const) },
  { weight: 1, arbitrary: headerText.map((header) => ({ header })) },
);

/** The Origin header: the dashboard's own (as a browser on its pages sends), none (curl), or another. */
export type OriginChoice = 'own' | 'none' | { value: string };

const originChoice: fc.Arbitrary<OriginChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('own' as const) },
  { weight: 2, arbitrary: fc.constant('none' as const) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom('null', 'http://evil.example', 'http://127.0.0.1', 'file://'), headerText)
      .map((value) => ({ value })),
  },
);

export interface ActionRequest {
  /** Below the mount path, already encoded. */
  path: string;
  body: string | Uint8Array;
  /** null: no Content-Type header. */
  contentType: string | null;
  contentEncoding: string | null;
  csrf: CsrfChoice;
  origin: OriginChoice;
}

/** A POST to one of the dashboard's actions (or next to them), with any body, content type and CSRF pair. */
export function actionRequest(known: KnownValues): fc.Arbitrary<ActionRequest> {
  const segment = (valid: fc.Arbitrary<string>) => urlText(mostly(valid, hostileString));
  const route = fc.oneof(
    { weight: 4, arbitrary: fc.record({ path: fc.constant('/actions/jobs'), body: actionBody(jobActionBody(known)) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        path: fc
          .tuple(urlText(batchIdText(known)), segment(fc.constantFrom('retry', 'cancel')))
          .map(([id, action]) => `/actions/batches/${id}/${action}`),
        body: actionBody(fc.constant('{}')),
      }),
    },
    { weight: 2, arbitrary: fc.record({ path: fc.constant('/actions/pauses'), body: actionBody(pauseBody(known)) }) },
    { weight: 2, arbitrary: fc.record({ path: fc.constant('/actions/cron'), body: actionBody(cronFormBody(known)) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        path: fc
          .tuple(segment(oneOfKnown([...known.cronKeys, 'fuzz-runtime'])), segment(fc.constantFrom('enable', 'disable', 'run', 'delete')))
          .map(([key, action]) => `/actions/cron/${key}/${action}`),
        body: actionBody(fc.constant('{}')),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        path: fc.oneof(
          fc.constantFrom('/actions', '/actions/', '/actions/jobs/1', '/actions/batches/x', '/actions/cron/a/b/c', '/jobs'),
          urlText(hostileString).map((junk) => `/actions/${junk}`),
        ),
        body: actionBody(jobActionBody(known)),
      }),
    },
  );
  const contentType = fc.oneof(
    { weight: 9, arbitrary: fc.constant('application/json') },
    {
      weight: 3,
      // prettier-ignore
      arbitrary: fc.constantFrom(
        null, 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/vnd.api+json',
        'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/xml',
        '*/*', '',
      ),
    },
    { weight: 1, arbitrary: headerText },
  );
  const contentEncoding = fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown') },
  );
  return fc
    .record({ route, contentType, contentEncoding, csrf: csrfChoice, origin: originChoice })
    .map(({ route: { path, body }, ...rest }) => ({ path, body, ...rest }));
}

// ───────────────────────────── QueueService calls ─────────────────────────────

/** A QueueService method and its arguments (`batchAdd`: `getBatchHandle(args[0])` then `add(args[1])`). */
export interface QueueCall {
  // prettier-ignore
  method:
    | 'enqueue' | 'enqueueMany' | 'getJob' | 'getJobExecutions' | 'listJobs' | 'cancelJob' | 'retryJob' | 'rescheduleJob' | 'deleteJob'
    | 'createBatch' | 'getBatch' | 'getBatchHandle' | 'batchAdd' | 'retryBatch' | 'cancelBatch' | 'completeToken'
    | 'pause' | 'resume' | 'enableCron' | 'disableCron' | 'runCronNow' | 'upsertCron' | 'removeCron';
  args: unknown[];
}

function call(method: QueueCall['method'], args: fc.Arbitrary<unknown[]>): fc.Arbitrary<QueueCall> {
  return args.map((values) => ({ method, args: values }));
}

function enqueueOptions(known: KnownValues): fc.Arbitrary<unknown> {
  const hostileAny = fc.oneof(hostileString, hostileNumber, hostileValue);
  const options = shapedRecord({
    queue: mostly(oneOfKnown(known.queues), hostileAny),
    priority: mostly(fc.integer({ min: -100, max: 100 }), fc.oneof(hostileNumber, hostileValue)),
    maxAttempts: mostly(fc.integer({ min: 1, max: 5 }), fc.oneof(hostileNumber, hostileValue)),
    timeoutMs: mostly(fc.integer({ min: 1_000, max: 60_000 }), fc.oneof(hostileNumber, hostileValue)),
    delayMs: mostly(fc.integer({ min: 3_600_000, max: 7_200_000 }), fc.oneof(hostileNumber, hostileValue)),
    runAt: mostly(
      fc.date({ min: new Date(Date.UTC(2090, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
      fc.oneof(hostileDate, dateText, hostileValue),
    ),
    tags: mostly(
      fc.array(oneOfKnown(known.tags), { maxLength: 3 }),
      fc.oneof(fc.array(hostileString, { maxLength: 3 }), fc.constant(Array.from({ length: 33 }, (_, i) => `t${i}`)), hostileValue),
    ),
    idempotencyKey: mostly(fc.oneof(oneOfKnown(known.idempotencyKeys), fc.uuid()), hostileAny),
    deadLetterJobType: mostly(oneOfKnown(known.jobTypes), hostileAny),
  });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: options },
    { weight: 1, arbitrary: prototypeTricks(options) },
    { weight: 1, arbitrary: hostileValue },
  );
}

function jobTypeArg(known: KnownValues): fc.Arbitrary<unknown> {
  return mostly(oneOfKnown(known.jobTypes), fc.oneof(fc.constant('never-declared'), hostileString, hostileValue));
}

/** Payloads: any JSON, the DTO's and the concurrency keys' fields with hostile values, or anything. */
function payloadArg(): fc.Arbitrary<unknown> {
  const field = mostly(fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 100 })), hostileValue);
  return fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 3,
      arbitrary: shapedRecord({
        name: field,
        count: field,
        child: fc.oneof(field, fc.record({ name: field })),
        account: field,
        report: field,
        user: field,
        text: field,
        token: field,
      }),
    },
    { weight: 2, arbitrary: hostileValue },
  );
}

function jobToEnqueue(known: KnownValues): fc.Arbitrary<unknown> {
  return mostly(
    fc.record({ jobType: jobTypeArg(known), payload: payloadArg(), options: enqueueOptions(known) }, { requiredKeys: ['jobType'] }),
    hostileValue,
  );
}

function jobIdArg(known: KnownValues): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: oneOfKnown(known.jobIds) },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...JOB_ID_LOOKALIKES), hostileString) },
    { weight: 1, arbitrary: fc.oneof(oneOfKnown(known.jobIds).map(Number), hostileNumber) },
    { weight: 1, arbitrary: hostileValue },
  );
}

function batchIdArg(known: KnownValues): fc.Arbitrary<unknown> {
  return mostly(batchIdText(known), hostileValue);
}

function listFilterArg(known: KnownValues): fc.Arbitrary<unknown> {
  const status = fc.constantFrom('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting');
  const filter = shapedRecord({
    status: mostly(
      fc.oneof(status, fc.array(status, { maxLength: 3 })),
      fc.oneof(fc.constantFrom('retrying', 'PENDING', []), hostileValue),
    ),
    jobType: mostly(oneOfKnown(known.jobTypes), fc.oneof(hostileString, hostileValue)),
    queue: mostly(oneOfKnown(known.queues), fc.oneof(hostileString, hostileValue)),
    tags: mostly(fc.array(oneOfKnown(known.tags), { maxLength: 2 }), fc.oneof(fc.array(hostileString, { maxLength: 3 }), hostileValue)),
    batchId: batchIdArg(known),
    limit: mostly(fc.integer({ min: 1, max: 1000 }), fc.oneof(hostileNumber, hostileValue)),
    cursor: mostly(
      oneOfKnown(known.jobIds).map((id) => base64url(`before:${id}`)),
      fc.oneof(malformedCursor(known), jobsCursor(known), hostileValue),
    ),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: filter },
    { weight: 1, arbitrary: prototypeTricks(filter) },
    { weight: 1, arbitrary: hostileValue },
  );
}

function batchOptionsArg(): fc.Arbitrary<unknown> {
  const options = shapedRecord({
    description: mostly(fc.string({ maxLength: 40 }), fc.oneof(hostileString, hostileValue)),
    properties: mostly(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), hostileValue),
    // No @OnBatch* callback is declared: any key is a BatchOptionsInvalidError, so they are rare.
    onFinish: rarely(fc.oneof(fc.constant('report'), hostileString, hostileValue)),
    onSuccess: rarely(fc.oneof(fc.constant('report'), hostileString, hostileValue)),
    onDiscard: rarely(fc.oneof(fc.constant('report'), hostileString, hostileValue)),
    callbackQueue: mostly(fc.constantFrom('default', 'mail'), fc.oneof(hostileString, hostileValue)),
    callbackPriority: mostly(fc.integer({ min: -10, max: 10 }), fc.oneof(hostileNumber, hostileValue)),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: options },
    { weight: 1, arbitrary: prototypeTricks(options) },
    { weight: 1, arbitrary: hostileValue },
  );
}

function pauseTargetArg(known: KnownValues): fc.Arbitrary<unknown> {
  const value = mostly(
    fc.oneof(oneOfKnown(known.queues), oneOfKnown(known.jobTypes), oneOfKnown(known.tags)),
    fc.oneof(hostileString, hostileValue),
  );
  const target = fc.oneof(
    fc.record({ queue: value }),
    fc.record({ jobType: value }),
    fc.record({ tag: value }),
    shapedRecord({ queue: value, jobType: value, tag: value }),
  );
  return fc.oneof(
    { weight: 6, arbitrary: target },
    { weight: 1, arbitrary: prototypeTricks(target) },
    { weight: 1, arbitrary: hostileValue },
  );
}

function rescheduleAt(): fc.Arbitrary<unknown> {
  return mostly(
    fc.date({ min: new Date(Date.UTC(2090, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
    fc.oneof(hostileDate, dateText, hostileValue),
  );
}

/** One QueueService call with mostly plausible, often hostile arguments. */
export function queueCall(known: KnownValues): fc.Arbitrary<QueueCall> {
  const jobId = jobIdArg(known);
  const batchId = batchIdArg(known);
  const cronKey = mostly(oneOfKnown(known.cronKeys), fc.oneof(hostileString, hostileValue));
  const weighted = (weight: number, arbitrary: fc.Arbitrary<QueueCall>) => ({ weight, arbitrary });
  return fc.oneof(
    weighted(6, call('enqueue', fc.tuple(jobTypeArg(known), payloadArg(), enqueueOptions(known)))),
    weighted(3, call('enqueueMany', fc.tuple(mostly(fc.array(jobToEnqueue(known), { maxLength: 4 }), hostileValue)))),
    weighted(1, call('getJob', fc.tuple(jobId))),
    weighted(1, call('getJobExecutions', fc.tuple(jobId))),
    weighted(3, call('listJobs', fc.tuple(listFilterArg(known)))),
    weighted(1, call('cancelJob', fc.tuple(jobId))),
    weighted(1, call('retryJob', fc.tuple(jobId))),
    weighted(2, call('rescheduleJob', fc.tuple(jobId, rescheduleAt()))),
    weighted(1, call('deleteJob', fc.tuple(jobId))),
    weighted(2, call('createBatch', fc.tuple(batchOptionsArg()))),
    weighted(1, call('getBatch', fc.tuple(batchId))),
    weighted(1, call('getBatchHandle', fc.tuple(batchId))),
    weighted(2, call('batchAdd', fc.tuple(batchId, mostly(fc.array(jobToEnqueue(known), { maxLength: 3 }), hostileValue)))),
    weighted(1, call('retryBatch', fc.tuple(batchId))),
    weighted(1, call('cancelBatch', fc.tuple(batchId))),
    weighted(
      2,
      call(
        'completeToken',
        fc.tuple(
          mostly(oneOfKnown(known.tokens), fc.oneof(hostileString, hostileValue)),
          mostly(fc.jsonValue({ maxDepth: 3 }), hostileValue),
        ),
      ),
    ),
    weighted(1, call('pause', fc.tuple(pauseTargetArg(known)))),
    weighted(1, call('resume', fc.tuple(pauseTargetArg(known)))),
    weighted(1, call('enableCron', fc.tuple(cronKey))),
    weighted(1, call('disableCron', fc.tuple(cronKey))),
    weighted(1, call('runCronNow', fc.tuple(cronKey))),
    weighted(2, call('upsertCron', fc.tuple(cronDefinitionArg(known)))),
    weighted(
      1,
      call('removeCron', fc.tuple(mostly(fc.constantFrom(...known.cronKeys, RUNTIME_CRON_KEY), fc.oneof(hostileString, hostileValue)))),
    ),
  );
}

/** The key a fuzzed upsertCron mostly writes (the seeded queue's own entry is declared in code). */
const RUNTIME_CRON_KEY = 'fuzz-runtime';

/**
 * Cron schedules that never tick during a run (29 February at night, or malformed): an entry that
 * ticked would add jobs between a call and the checksum after it.
 */
const RARE_SCHEDULES = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('0 3 29 2 *', '15 4 29 2 *', '0 0 3 29 2 *') },
  { weight: 1, arbitrary: fc.constantFrom('61 * * * *', '* * *', '') },
);

/**
 * upsertCron's entry: a valid one (so the fuzz also reaches what a stored entry does), mostly
 * plausible fields (the key declared in code too) with hostile ones among them, or anything.
 */
function cronDefinitionArg(known: KnownValues): fc.Arbitrary<unknown> {
  const hostileAny = fc.oneof(hostileString, hostileNumber, hostileValue);
  const cronOptions = fc.constantFrom(undefined, {}, { priority: 3 }, { queue: 'fuzz', tags: ['t'] });
  const valid = fc.record({
    key: fc.constant(RUNTIME_CRON_KEY),
    schedule: fc.constantFrom('0 3 29 2 *', '0 0 3 29 2 *'),
    jobType: oneOfKnown(known.jobTypes),
    payload: fc.jsonValue({ maxDepth: 2 }),
    options: cronOptions,
  });
  const plausible = shapedRecord({
    key: mostly(fc.constantFrom(RUNTIME_CRON_KEY, ...known.cronKeys), hostileAny),
    schedule: mostly(RARE_SCHEDULES, hostileAny),
    timezone: mostly(fc.constantFrom('UTC', 'Europe/Paris', 'Mars/Olympus', 'utc'), hostileAny),
    jobType: jobTypeArg(known),
    payload: payloadArg(),
    options: mostly(cronOptions, enqueueOptions(known)),
  });
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    { weight: 5, arbitrary: plausible },
    { weight: 1, arbitrary: prototypeTricks(plausible) },
    { weight: 1, arbitrary: hostileValue },
  );
}
