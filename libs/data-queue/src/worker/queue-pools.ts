import type { QueueSelector } from '../store/sql/claim-jobs.sql.js';

export interface QueuePool {
  /** The pool's entry as written, e.g. `mail,sms:2` or `*:5`. */
  name: string;
  selector: QueueSelector;
  slots: number;
}

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Parses GoodJob-style pool syntax: `'mail:2;reports,exports:1;*:5'`. Each `;`-separated entry is
 * a pool of `slots` concurrent jobs; `*` takes every queue that no other entry names. Slots
 * default to 5. Throws a message naming the bad entry.
 */
export function parseQueuePools(spec: string): QueuePool[] {
  const entries = spec.split(';').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('must name at least one pool, e.g. "*:5"');
  const parsed = entries.map((entry) => {
    const [names, count, ...extra] = entry.split(':');
    if (extra.length > 0) throw new Error(`pool "${entry}": has more than one ":" (write queues:slots, e.g. "mail,sms:2")`);
    if (count !== undefined && (count !== count.trim() || names !== names.trimEnd())) {
      throw new Error(`pool "${entry}": remove the space around ":" (write "${names.trim()}:${count.trim()}")`);
    }
    const slots = count === undefined ? 5 : /^\d+$/.test(count) ? Number(count) : NaN;
    if (!Number.isSafeInteger(slots) || slots < 1 || slots > 1000) {
      throw new Error(`pool "${entry}": slots must be an integer from 1 to 1000, got "${count}"`);
    }
    const queues = names.split(',').map((q) => q.trim());
    const wildcard = queues.includes('*');
    if (wildcard && queues.length > 1) throw new Error(`pool "${entry}": "*" cannot be combined with queue names`);
    const bad = queues.find((q) => q !== '*' && !QUEUE_NAME.test(q));
    if (bad !== undefined) throw new Error(`pool "${entry}": ${queueNameProblem(bad)}`);
    return { name: entry, queues, wildcard, slots };
  });
  if (parsed.filter((p) => p.wildcard).length > 1) throw new Error('only one pool may use "*"');
  const named = parsed.filter((p) => !p.wildcard).flatMap((p) => p.queues);
  const duplicate = named.find((q, i) => named.indexOf(q) !== i);
  if (duplicate !== undefined) throw new Error(`queue "${duplicate}" appears in more than one pool`);
  return parsed.map(({ name, queues, wildcard, slots }) => ({
    name,
    slots,
    selector: wildcard ? { kind: 'except', queues: named } : { kind: 'only', queues },
  }));
}

/** Names what is wrong with a queue name that fails QUEUE_NAME. */
function queueNameProblem(name: string): string {
  if (name === '') return 'a queue name is empty (a stray "," or nothing before ":")';
  const rule = 'queue names are letters, digits, "_", "." and "-"';
  if (name.length > 128) return `queue name "${name.slice(0, 20)}…" is longer than 128 characters`;
  const char = [...name].find((c) => !/[A-Za-z0-9_.-]/.test(c))!;
  const shown = char === ' ' ? 'a space' : JSON.stringify(char);
  return `queue name "${name}" contains ${shown}: ${rule}${char === ' ' ? ' (separate queues with ",")' : ''}`;
}

export function isValidQueueName(name: unknown): name is string {
  return typeof name === 'string' && QUEUE_NAME.test(name);
}
