import { DatabaseUnavailableError } from '../core/data-queue.errors.js';

/**
 * Gathers items that arrive while a write is in flight and hands them to the next write
 * together, so one statement serves every caller that came meanwhile: under load the batches
 * grow by themselves, and a lone item is written at once (after the current event-loop turn,
 * which gathers items that arrived together). `write` settles its items itself and must not
 * reject.
 */
export class WriteCoalescer<T> {
  private waiting: T[] = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxPerWrite: number,
  ) {}

  add(item: T): void {
    this.waiting.push(item);
    if (this.waiting.length === 1 && !this.writing) setImmediate(() => void this.writeAll());
  }

  private async writeAll(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, this.maxPerWrite));
    } finally {
      this.writing = false;
    }
  }
}

/** A caller waiting in a shared write. */
export interface Waiter {
  fail(error: unknown): void;
}

/**
 * Runs `write` for `items` together (it settles them when it succeeds). If it fails because the
 * connection was lost, every item fails (its caller retries); otherwise one item may be at fault,
 * so each is written alone and only a bad one fails.
 */
export async function writeTogether<T extends Waiter>(items: T[], write: (items: T[]) => Promise<void>): Promise<void> {
  try {
    await write(items);
  } catch (error) {
    if (items.length === 1 || error instanceof DatabaseUnavailableError) for (const item of items) item.fail(error);
    else await Promise.all(items.map((item) => writeTogether([item], write)));
  }
}
