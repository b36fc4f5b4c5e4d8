// How a staging file hands bytes to its writer thread: a ring of slots in one SharedArrayBuffer.
// Network chunks are copied into the slot being filled; a full slot is handed over at once, a
// partly filled one as soon as nothing else is in flight (so a slow origin's bytes don't wait,
// and a fast one's go over a slot at a time). Several slots in flight keep the writer busy while
// the main thread is elsewhere, and the other way round; with every slot in flight, `put` waits —
// that is the backpressure. No buffer is allocated per chunk, on either side.
//
// Slots are handed over, written and acknowledged in order. The first failure is sticky: every
// later `put` and `flush` rejects with it.

export interface HandoverRing {
  /** Shared with the writer thread. */
  readonly buffer: SharedArrayBuffer;
  /**
   * Copies `chunk` in when the ring has room for all of it (true), or does nothing (false: wait
   * with `put`). False after a failure too, so that `put` reports it.
   */
  tryPut(chunk: Uint8Array): boolean;
  /** Copies the chunks in, in order; resolves once they are all in the ring (waiting for room). */
  put(chunks: readonly Uint8Array[]): Promise<void>;
  /** Hands over what is buffered and resolves once every byte put has been acknowledged. */
  flush(): Promise<void>;
}

export interface HandoverRingOptions {
  readonly slots: number;
  readonly slotBytes: number;
  /** Hands `length` bytes at `offset` over; resolves when they are written, rejects when they could not be. */
  send(offset: number, length: number): Promise<void>;
}

interface Slot {
  readonly offset: number;
  fill: number;
}

export function createHandoverRing(opts: HandoverRingOptions): HandoverRing {
  const { slots, slotBytes } = opts;
  if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 1) {
    throw new RangeError('a handover ring needs at least one slot of at least one byte');
  }
  const buffer = new SharedArrayBuffer(slots * slotBytes);
  const view = new Uint8Array(buffer);
  const free: Slot[] = Array.from({ length: slots }, (_, i) => ({ offset: i * slotBytes, fill: 0 }));
  let filling: Slot | undefined;
  let inFlight = 0;
  let failed = false;
  let failure: unknown;
  /** Woken by every acknowledgement (or failure). */
  let waiters: Array<() => void> = [];

  const changed = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));

  function handOver(slot: Slot): void {
    if (slot === filling) filling = undefined;
    inFlight++;
    opts.send(slot.offset, slot.fill).then(
      () => settle(slot),
      (err: unknown) => {
        if (!failed) {
          failed = true;
          failure = err;
        }
        settle(slot);
      },
    );
  }

  /** A partly filled slot goes as soon as nothing is in flight. */
  function nudge(): void {
    if (inFlight === 0 && filling !== undefined && filling.fill > 0 && !failed) handOver(filling);
  }

  function settle(slot: Slot): void {
    inFlight--;
    slot.fill = 0;
    free.push(slot);
    nudge(); // what gathered while the writer was busy goes now
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  }

  /** Copies what fits of `chunk` from `at` into the slot being filled (taking a free one): the new `at`, or -1 when no slot is free. */
  function copy(chunk: Uint8Array, at: number): number {
    if (filling === undefined) {
      const slot = free.shift();
      if (slot === undefined) return -1;
      filling = slot;
    }
    const n = Math.min(chunk.length - at, slotBytes - filling.fill);
    view.set(n === chunk.length ? chunk : chunk.subarray(at, at + n), filling.offset + filling.fill);
    filling.fill += n;
    if (filling.fill === slotBytes) handOver(filling);
    return at + n;
  }

  return {
    buffer,
    tryPut(chunk) {
      if (failed) return false;
      const room = free.length * slotBytes + (filling === undefined ? 0 : slotBytes - filling.fill);
      if (chunk.length > room) return false;
      for (let at = 0; at < chunk.length; ) at = copy(chunk, at);
      nudge();
      return true;
    },
    async put(chunks) {
      for (const chunk of chunks) {
        for (let at = 0; at < chunk.length; ) {
          if (failed) throw failure;
          const next = copy(chunk, at);
          if (next < 0) await changed();
          else at = next;
        }
      }
      nudge();
    },
    async flush() {
      if (filling !== undefined && filling.fill > 0 && !failed) handOver(filling);
      while (inFlight > 0) await changed();
      if (failed) throw failure;
    },
  };
}
