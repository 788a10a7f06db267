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
    const match = /^(.+?)(?::(\d+))?$/.exec(entry)!;
    const queues = match[1].split(',').map((q) => q.trim());
    const slots = match[2] === undefined ? 5 : Number(match[2]);
    if (!Number.isSafeInteger(slots) || slots < 1 || slots > 1000) {
      throw new Error(`pool "${entry}": slots must be an integer from 1 to 1000`);
    }
    const wildcard = queues.includes('*');
    if (wildcard && queues.length > 1) throw new Error(`pool "${entry}": "*" cannot be combined with queue names`);
    const bad = queues.find((q) => q !== '*' && !QUEUE_NAME.test(q));
    if (bad !== undefined) throw new Error(`pool "${entry}": "${bad}" is not a valid queue name`);
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

export function isValidQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}
