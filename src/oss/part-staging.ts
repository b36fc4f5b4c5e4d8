// Multipart parts on the filesystem store, written where they belong in the final object: each
// upload has one staging file, `<dir>/<uploadId>.data`, and part n is written at its slot
// (part-slots.ts) instead of into a blob of its own. CompleteMultipartUpload then needs no copy:
// when the chosen parts lie end to end, the file is handed to the store with putFile(move) — a
// rename — and the object's CRC comes from the parts' CRCs. Anything that does not fit (a part
// larger than its slot, a second concurrent upload of one part, a re-upload of a recorded part,
// a body of unknown length) is stored as a blob as before, and Complete falls back to streaming
// the parts in order, reading staged ones from here.
//
// Crash safety, the same as the blob store's:
//   - a part is fsynced before its row is recorded, so a recorded part survives a crash;
//   - a slot whose part has been recorded is never written again (a re-upload goes to a blob), so
//     recorded bytes never change; a write that fails leaves an unrecorded slot, written afresh
//     by the next attempt;
//   - Complete hard-links the file to a second name and moves that name into the store, so the
//     staging file stays until the upload's rows are gone: a Complete retried after a crash finds
//     everything where it was. A staging file with more than one link belongs to a Complete, and
//     no part is written to it again.
// One process per data dir, like the fs store: which slots are being written is known in memory.
//
// Nothing here hashes the whole object: its MD5 (FileMD5) is the analysis job's, after Complete
// (media-pipeline/file-md5.ts).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeBodyToFile } from '../blob/file-writes.js';
import { type StagedPartRow, stagedPartKey, strideOf, stagedOffset } from './part-slots.js';

const READ_CHUNK_BYTES = 1024 * 1024;
const UPLOAD_ID = /^[0-9A-Za-z]{8,64}$/;

interface UploadState {
  stride: number | undefined;
  /** Slots whose part was recorded, with its size: never written again. */
  readonly recorded: Map<number, number>;
  /** Slots being written, each settled when its write is recorded or given up. */
  readonly writing: Map<number, Promise<void>>;
  /** Set while a Complete uses the file: no slot is handed out. */
  completing: boolean;
}

export interface StagingSlot {
  /** The blob key to record for the part. */
  readonly key: string;
  readonly offset: number;
  /** Streams the body into the slot (at most the claimed size) and fsyncs it. */
  write(body: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
  /** The part's row is committed: the slot is final. */
  recorded(): void;
  /** The write failed or its row was not recorded: the slot is free again. Idempotent. */
  release(): void;
}

export class PartStaging {
  readonly #dir: string;
  readonly #uploads = new Map<string, UploadState>();
  #dirReady: Promise<unknown> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  pathOf(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
    return join(this.#dir, `${uploadId}.data`);
  }

  /**
   * A slot for part `partNumber` of `size` bytes, or undefined when the part must be stored as a
   * blob. `recordedParts` (the upload's rows) is read once per upload and process, to learn the
   * layout after a restart.
   */
  async claim(
    upload: { uploadId: string; prefix: string },
    partNumber: number,
    size: number | undefined,
    recordedParts: () => Promise<readonly StagedPartRow[]>,
  ): Promise<StagingSlot | undefined> {
    if (size === undefined || size <= 0 || !UPLOAD_ID.test(upload.uploadId)) return undefined;
    const state = await this.#state(upload.uploadId, recordedParts);
    if (state.completing || state.writing.has(partNumber) || state.recorded.has(partNumber)) return undefined;
    state.stride ??= size;
    if (size > state.stride) return undefined;
    const offset = (partNumber - 1) * state.stride;
    let settle = (): void => undefined;
    state.writing.set(partNumber, new Promise<void>((resolve) => (settle = resolve)));
    const free = (): void => {
      if (state.writing.delete(partNumber)) settle();
    };
    let handle: FileHandle;
    try {
      handle = await this.#open(upload.uploadId);
      // A second name means a Complete has (or had, before a crash) the file: leave it alone.
      if ((await handle.stat()).nlink > 1) {
        await handle.close();
        free();
        return undefined;
      }
    } catch (error) {
      free();
      throw error;
    }
    let used = false;
    const path = this.pathOf(upload.uploadId);
    return {
      key: stagedPartKey(upload.prefix, partNumber, offset),
      offset,
      async write(body, signal) {
        if (used) throw new Error('a staging slot is written once');
        used = true;
        // Returns only once no write is running: a failed write's last block must land before
        // the slot is freed for the next attempt.
        try {
          await writeBodyToFile({ handle, path }, offset, capped(body, size), signal);
        } finally {
          await handle.close();
        }
      },
      recorded: () => {
        state.recorded.set(partNumber, size);
        free();
      },
      release() {
        if (!used) void handle.close().catch(() => undefined);
        free();
      },
    };
  }

  async #state(uploadId: string, recordedParts: () => Promise<readonly StagedPartRow[]>): Promise<UploadState> {
    const known = this.#uploads.get(uploadId);
    if (known) return known;
    const rows = await recordedParts();
    const again = this.#uploads.get(uploadId);
    if (again) return again;
    const state = emptyState(strideOf(rows));
    for (const r of rows) if (stagedOffset(r.blob_key) !== undefined) state.recorded.set(r.part_number, r.size);
    this.#uploads.set(uploadId, state);
    return state;
  }

  async #open(uploadId: string): Promise<FileHandle> {
    this.#dirReady ??= mkdir(this.#dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      this.#dirReady = undefined;
      throw error;
    });
    await this.#dirReady;
    return open(this.pathOf(uploadId), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  }

  /** Bytes [offset, offset + size) of the staging file. */
  async read(uploadId: string, offset: number, size: number): Promise<Readable> {
    const handle = await open(this.pathOf(uploadId), constants.O_RDONLY | constants.O_NOFOLLOW);
    if (size === 0) {
      await handle.close();
      return Readable.from([]);
    }
    return handle.createReadStream({ start: offset, end: offset + size - 1, highWaterMark: READ_CHUNK_BYTES });
  }

  /** The staging file's size, or undefined if it does not exist. */
  async size(uploadId: string): Promise<number | undefined> {
    const s = await stat(this.pathOf(uploadId)).catch(() => undefined);
    return s?.size;
  }

  /**
   * Stops handing out slots of this upload and waits for the writes in flight, so the file stays
   * as it is while a Complete uses it. `resume` undoes it (a Complete that failed).
   */
  async quiesce(uploadId: string): Promise<void> {
    const state = this.#uploads.get(uploadId) ?? emptyState(undefined);
    this.#uploads.set(uploadId, state);
    state.completing = true;
    await Promise.all(state.writing.values());
  }

  resume(uploadId: string): void {
    const state = this.#uploads.get(uploadId);
    if (state) state.completing = false;
  }

  /** A second name for the staging file, for the store to take with putFile(move). */
  async linkForCommit(uploadId: string): Promise<string> {
    const path = `${this.pathOf(uploadId)}.commit-${randomBytes(6).toString('hex')}`;
    await link(this.pathOf(uploadId), path);
    return path;
  }

  async unlinkQuietly(path: string): Promise<void> {
    await unlink(path).catch(() => undefined);
  }

  /** Forgets the upload and removes its staging file. Idempotent. */
  async remove(uploadId: string): Promise<void> {
    this.#uploads.delete(uploadId);
    if (UPLOAD_ID.test(uploadId)) await rm(this.pathOf(uploadId), { force: true });
  }

  /**
   * Removes staging files (and commit names left by a crash) at least `olderThanMs` old whose
   * upload `isLive` denies. Returns how many were removed.
   */
  async sweep(isLive: (uploadId: string) => Promise<boolean>, olderThanMs: number, nowMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const m = /^([0-9A-Za-z]{8,64})\.data(\.commit-[0-9a-f]+)?$/.exec(name);
      if (!m) continue;
      const path = join(this.#dir, name);
      const s = await stat(path).catch(() => undefined);
      if (!s || nowMs - s.mtimeMs < olderThanMs) continue;
      if (m[2] === undefined && (this.#uploads.has(m[1] as string) || (await isLive(m[1] as string)))) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }
}

const emptyState = (stride: number | undefined): UploadState =>
  ({ stride, recorded: new Map(), writing: new Map(), completing: false });

/** The body, refused if it runs past the slot (its size was declared when the slot was claimed). */
async function* capped(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (seen > size) throw new RangeError(`the body is longer than the ${size} bytes declared`);
    yield chunk;
  }
}
