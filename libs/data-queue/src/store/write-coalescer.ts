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
