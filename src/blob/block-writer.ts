// Sequential writes of a body into a file, 1 MiB at a time, past the page cache where the
// filesystem allows it (O_DIRECT). Every byte OpenVOD stores arrives once and is not read again
// soon — it is fsynced, probed from its first MiBs, and served later — yet a buffered write copies
// it into the page cache first, and that copy was the largest single cost of receiving a file:
// a third of the server's CPU during a URL pull (perf), ≈ 1.4 s of system time per GiB on a
// machine with free memory (each write lands on a page the kernel has not used for a while) against
// ≈ 0.05 s written direct. It also pushed out of the cache what readers were using, and left the
// fsync before each commit all the writeback to do.
//
// O_DIRECT wants the memory, the file offset and the length aligned to the device's block. The
// body's chunks are copied into a 1 MiB block taken from a pool of WebAssembly memories (their
// base is page-aligned, unlike a Buffer's), or lent by the caller (BlockLender: a URL pull's MD5
// ring, which then hashes the written bytes where they lie instead of copying them again), and
// each full block goes out in one aligned write; the
// last part of the body that does not fill an aligned length goes through an ordinary buffered
// handle, and so does everything when the file cannot be opened direct (tmpfs on older kernels,
// some network filesystems) or the first direct write is refused, or the body starts at an
// unaligned offset. Mixing the two on one file is safe: Linux writes back and drops cached pages
// in a direct I/O's range before it runs.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { wasmApi } from '../wasm/assemble.js';

/** Alignment of direct writes' offsets and lengths: a multiple of every common device block. */
export const DIRECT_ALIGN = 4096;
/** Bytes gathered before a write: one syscall per MiB, and the memory each writer holds. */
export const BLOCK_BYTES = 1024 * 1024;

const WASM_PAGE = 64 * 1024;
const BLOCKS_PER_MEMORY = 8;
/** Blocks kept for reuse once returned; more than this go back to the garbage collector. */
const MAX_SPARE_BLOCKS = 32;

let directWrites = true;

/** Process-wide switch (config `directWrites`, env OPENVOD_DIRECT_WRITES). */
export function setDirectWrites(enabled: boolean): void {
  directWrites = enabled;
}

const spare: Buffer[] = [];

function takeBlock(): Buffer {
  const b = spare.pop();
  if (b) return b;
  // A Buffer over the memory keeps the memory alive; the memory's base is page-aligned.
  const memory = new wasmApi.Memory({ initial: (BLOCKS_PER_MEMORY * BLOCK_BYTES) / WASM_PAGE });
  for (let i = 1; i < BLOCKS_PER_MEMORY; i++) spare.push(Buffer.from(memory.buffer, i * BLOCK_BYTES, BLOCK_BYTES));
  return Buffer.from(memory.buffer, 0, BLOCK_BYTES);
}

function giveBack(b: Buffer): void {
  if (spare.length < MAX_SPARE_BLOCKS) spare.push(b);
}

/** Blocks idle in the pool (for tests). */
export const spareBlocks = (): number => spare.length;

/**
 * A second handle on `path` for direct writes, or undefined where the filesystem refuses
 * O_DIRECT or direct writes are switched off. The caller closes it.
 */
export async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (!directWrites || constants.O_DIRECT === undefined) return undefined;
  try {
    return await open(path, constants.O_WRONLY | constants.O_DIRECT | constants.O_NOFOLLOW);
  } catch (e) {
    if (isRefusal(e)) return undefined;
    throw e;
  }
}

const isRefusal = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EINVAL' || code === 'EOPNOTSUPP' || code === 'ENOTSUP';
};

/** Called with each range of bytes once it is in the file, in order; the view is valid until it settles. */
export type OnWritten = (bytes: Uint8Array) => void | Promise<void>;

/**
 * Where a writer's blocks come from instead of the pool: a running MD5's ring (md5-workers.ts
 * `lend`), so that the hash given each written range by `onWritten` takes it where it lies,
 * without a copy. A block is lent aligned for direct writes; once its bytes are all written and
 * given, the next is lent.
 */
export interface BlockLender {
  lend(bytes: number, align: number): Promise<Uint8Array> | undefined;
  unlend(): void;
  /** Copies `source` into a lent block at `offset` (the block is shared memory, which V8 fills slowly). */
  fill(block: Uint8Array, offset: number, source: Uint8Array): void;
}

/**
 * Writes a body into a file from `start` on. `write` takes chunks and writes whole blocks as they
 * fill; `flush` writes what is held. The caller awaits each call before the next.
 */
export class BlockWriter {
  readonly #buffered: FileHandle;
  #direct: FileHandle | undefined;
  /** Taken on first use; from the lender while `#lent`, else from the pool. */
  #block: Uint8Array | undefined;
  readonly #lender: BlockLender | undefined;
  #lent = false;
  #released = false;
  /** The bytes before `start` the first block begins with (see the constructor). */
  #head: Uint8Array | undefined;
  /** File offset of the block's first byte. */
  #base: number;
  /** Bytes in the block. */
  #fill = 0;
  /** Bytes at the start of the block that are already in the file (a flushed tail). */
  #kept = 0;
  readonly #onWritten: OnWritten | undefined;

  /**
   * `head`, for a file that goes on from an unaligned `start`: the bytes already in the file from
   * the aligned offset below `start` up to it. With them, the first block is rewritten whole and
   * the writes stay direct; without them, a body starting at an unaligned offset is written
   * buffered.
   */
  constructor(
    target: { buffered: FileHandle; direct?: FileHandle | undefined }, start: number, onWritten?: OnWritten, head?: Uint8Array, lender?: BlockLender,
  ) {
    this.#buffered = target.buffered;
    this.#onWritten = onWritten;
    this.#lender = lender;
    const misaligned = start % DIRECT_ALIGN;
    if (misaligned !== 0 && head !== undefined && head.length === misaligned) {
      this.#head = head;
      this.#fill = this.#kept = misaligned;
      this.#base = start - misaligned;
      this.#direct = target.direct;
    } else {
      this.#base = start;
      this.#direct = misaligned === 0 ? target.direct : undefined;
    }
  }

  /** Whether full blocks go past the page cache. */
  get direct(): boolean {
    return this.#direct !== undefined;
  }

  /** The offset after the last byte taken. */
  get position(): number {
    return this.#base + this.#fill;
  }

  /** The offset after the last byte in the file (and reported to `onWritten`). */
  get written(): number {
    return this.#base + this.#kept;
  }

  async write(chunks: readonly Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      for (let off = 0; off < c.length; ) {
        const block = this.#block ?? (await this.#take());
        const n = Math.min(BLOCK_BYTES - this.#fill, c.length - off);
        const piece = n === c.length ? c : c.subarray(off, off + n);
        if (this.#lent) this.#lender?.fill(block, this.#fill, piece);
        else block.set(piece, this.#fill);
        this.#fill += n;
        off += n;
        if (this.#fill === BLOCK_BYTES) await this.#writeOut(BLOCK_BYTES);
      }
    }
  }

  /** Puts every byte taken into the file (not fsynced). */
  async flush(): Promise<void> {
    if (this.#released) throw new Error('the writer was released');
    const aligned = this.#fill - (this.#fill % DIRECT_ALIGN);
    if (this.#direct !== undefined && aligned > this.#kept) await this.#writeOut(aligned);
    if (this.#fill > this.#kept) {
      const block = this.#use();
      await writeFully(this.#buffered, block.subarray(this.#kept, this.#fill), this.#base + this.#kept);
      const from = this.#kept;
      this.#kept = this.#fill;
      await this.#onWritten?.(block.subarray(from, this.#fill));
    }
  }

  /** Returns the block to the pool (or to its lender); idempotent. Bytes not flushed are dropped. */
  release(): void {
    if (this.#block) this.#giveUp();
    this.#released = true;
  }

  #use(): Uint8Array {
    if (!this.#block) throw new Error(this.#released ? 'the writer was released' : 'the writer has no block');
    return this.#block;
  }

  /** The block to fill: lent where the lender can, else from the pool; the first starts with `head`. */
  async #take(): Promise<Uint8Array> {
    if (this.#released) throw new Error('the writer was released');
    const lent = this.#lender?.lend(BLOCK_BYTES, DIRECT_ALIGN);
    const block = lent ? await lent : takeBlock();
    this.#lent = lent !== undefined;
    this.#block = block;
    if (this.#head) block.set(this.#head);
    this.#head = undefined;
    return block;
  }

  #giveUp(): void {
    if (this.#lent) this.#lender?.unlend();
    else if (this.#block) giveBack(this.#block as Buffer);
    this.#block = undefined;
    this.#lent = false;
  }

  /** Writes the block's first `n` bytes (n aligned, or the whole block) and keeps the rest at its start. */
  async #writeOut(n: number): Promise<void> {
    const block = this.#use();
    if (!(await this.#writtenDirect(block.subarray(0, n)))) {
      await writeFully(this.#buffered, block.subarray(this.#kept, n), this.#base + this.#kept);
    }
    const from = this.#kept;
    await this.#onWritten?.(block.subarray(from, n));
    const rest = block.subarray(n, this.#fill);
    this.#base += n;
    this.#fill -= n;
    this.#kept = 0;
    if (this.#lent) {
      // The hash holds the block's bytes up to n where they are: the ones after move to the
      // start of a new block (a tail under 4 KiB, when a flush wrote the aligned part). Should no
      // block come, `written` is still true and what is lost is only that tail, not yet in the file.
      this.#giveUp();
      if (rest.length > 0) (await this.#take()).set(rest);
    } else {
      block.copyWithin(0, n, n + this.#fill);
    }
  }

  /** Writes `bytes` at the block's offset direct; false when there is no direct handle (any more). */
  async #writtenDirect(bytes: Uint8Array): Promise<boolean> {
    if (this.#direct === undefined) return false;
    try {
      await writeFully(this.#direct, bytes, this.#base);
      return true;
    } catch (e) {
      if (!isRefusal(e)) throw e;
      // The filesystem took the open but not the write: buffered from here on (the caller
      // still closes the direct handle).
      this.#direct = undefined;
      return false;
    }
  }
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) throw new Error('the file took no bytes');
    done += bytesWritten;
  }
}
