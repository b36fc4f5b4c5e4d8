// The body of one part of a local file: a stream of its bytes read 1 MiB at a time, each chunk a
// slice of a buffer the sending lane owns and reuses for its next part. Reading into fresh
// buffers costs the kernel a page fault per 4 KiB as it copies into memory never touched before:
// reading a cached 1 GiB file in 1 MiB reads took 0.5–1.2 s of system time into fresh buffers
// and 0.1 s into one reused buffer (measured on the 2-core machine of bench/upload). A lane's
// buffer takes the next part's bytes only once its part was acknowledged, so after the server
// had read them all; a retry of the same part may overwrite bytes a failed request is still
// sending, but with the very same bytes. (After a failure that ends the upload the lane is not
// used again.) A part larger than the lane's buffer (only for a partSize above the lane limit) is
// read into fresh buffers instead.
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes read from the file at a time. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export class PartReader extends Readable {
  #done = 0;

  /**
   * @param file   the open file, shared by every part of the upload (positional reads)
   * @param start  the part's first byte in the file
   * @param size   the part's length
   * @param into   the lane's buffer, at least `size` bytes; undefined → a fresh buffer per read
   */
  constructor(
    private readonly file: FileHandle,
    private readonly start: number,
    private readonly size: number,
    private readonly into: Buffer | undefined,
  ) {
    super();
    if (into !== undefined && into.length < size) throw new RangeError(`part of ${size} bytes does not fit a ${into.length}-byte buffer`);
  }

  override _read(): void {
    if (this.#done >= this.size) {
      this.push(null);
      return;
    }
    const n = Math.min(READ_CHUNK_BYTES, this.size - this.#done);
    const target = this.into === undefined ? Buffer.allocUnsafe(n) : this.into.subarray(this.#done, this.#done + n);
    this.#fill(target, this.start + this.#done).then(
      () => {
        if (this.destroyed) return;
        this.#done += n;
        this.push(target);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  /** Reads exactly `target.length` bytes at `position` (a short read is continued; end of file is an error). */
  async #fill(target: Buffer, position: number): Promise<void> {
    for (let at = 0; at < target.length; ) {
      const { bytesRead } = await this.file.read(target, at, target.length - at, position + at);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${position + at}, inside a part that should reach byte ${this.start + this.size}: was it truncated during the upload?`);
      at += bytesRead;
    }
  }
}
