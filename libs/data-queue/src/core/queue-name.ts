/** What a queue may be called, wherever one is named: `queues` pools, job settings, batch callbacks. */
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function isValidQueueName(name: unknown): name is string {
  return typeof name === 'string' && QUEUE_NAME.test(name);
}

/** Names what is wrong with a queue name that fails QUEUE_NAME. */
export function queueNameProblem(name: string): string {
  if (name === '') return 'a queue name is empty (a stray "," or nothing before ":")';
  const rule = 'queue names are letters, digits, "_", "." and "-"';
  if (name.length > 128) return `queue name "${name.slice(0, 20)}…" is longer than 128 characters`;
  const char = [...name].find((c) => !/[A-Za-z0-9_.-]/.test(c))!;
  const shown = char === ' ' ? 'a space' : JSON.stringify(char);
  return `queue name "${name}" contains ${shown}: ${rule}${char === ' ' ? ' (separate queues with ",")' : ''}`;
}
