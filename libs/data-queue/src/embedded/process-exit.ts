export interface ExitParticipant {
  /** Stops the server and deletes its data; idempotent. */
  stop(): Promise<void>;
  /** The same from the 'exit' event, where nothing asynchronous runs any more. */
  stopNow(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
// Marks the listeners of every copy of this module (a source and a built copy can both be loaded).
const OURS = Symbol.for('@dataqueue/nestjs embedded Postgres exit hook');

const participants = new Set<ExitParticipant>();

/**
 * Stops `participant` when the process ends: on SIGINT/SIGTERM/SIGHUP, when the event loop runs
 * dry ('beforeExit') and on process.exit() ('exit'). Returns the function that takes it off again.
 *
 * A signal is the app's first: while the app has listeners of its own for it (Nest's
 * enableShutdownHooks, a hand-written handler) this does nothing, so the app drains against a live
 * database. Nest removes its listeners once closed and raises the signal again; that second one
 * finds only this listener, stops the servers and raises it once more, so the process still ends
 * the way the signal ends it. An app that instead calls process.exit() gets the 'exit' hook.
 */
export function stopOnProcessExit(participant: ExitParticipant): () => void {
  if (participants.size === 0) hook();
  participants.add(participant);
  return () => {
    if (participants.delete(participant) && participants.size === 0) unhook();
  };
}

const onSignal = Object.assign(
  (signal: NodeJS.Signals) => {
    if (process.listeners(signal).some((listener) => !(OURS in listener))) return;
    void stopAll().then(() => {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    });
  },
  { [OURS]: true },
);

const onBeforeExit = Object.assign(() => void stopAll(), { [OURS]: true });

const onExit = Object.assign(
  () => {
    for (const participant of participants) participant.stopNow();
  },
  { [OURS]: true },
);

async function stopAll(): Promise<void> {
  const results = await Promise.allSettled([...participants].map((participant) => participant.stop()));
  for (const result of results) {
    if (result.status === 'rejected') process.emitWarning(result.reason as Error);
  }
}

function hook(): void {
  // First in line, to see every listener of the signal, including `once` ones registered earlier.
  for (const signal of SIGNALS) process.prependListener(signal, onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
}

function unhook(): void {
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
}
