import { isValidQueueName, queueNameProblem } from '../core/queue-name.js';
import type { QueueSelector } from '../store/sql/claim-jobs.sql.js';

export interface QueuePool {
  /** The pool's entry as written, e.g. `mail,sms:2` or `*:5`. */
  name: string;
  selector: QueueSelector;
  slots: number;
}

/**
 * Parses GoodJob-style pool syntax: `'mail:2;reports,exports:1;*:5'`. Each `;`-separated entry is
 * a pool of `slots` concurrent jobs; `*` takes every queue that no other entry names. Slots
 * default to 5. Throws a message naming the bad entry.
 */
export function parseQueuePools(spec: string): QueuePool[] {
  const entries = spec
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean);
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
    const bad = queues.find((q) => q !== '*' && !isValidQueueName(q));
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
