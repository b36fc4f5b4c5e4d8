// The MD5 of a staging file's final object, computed while the upload is still going on, on a
// worker thread: CompleteMultipartUpload needs the whole object's MD5 (the video's FileMD5), and
// the parts' MD5s cannot be combined into it. As soon as parts 1…m are recorded, the bytes
// [0, end of part m) of the staging file are final (part-staging.ts never rewrites a recorded
// slot), so the worker reads and hashes them, in order, while later parts are still arriving;
// at Complete only the tail is left. The main thread, which receives and hashes every part,
// never does this second pass.
//
// The worker holds one running hash per upload. `digest(size)` answers the MD5 of [0, size):
// after hashing what is left, or — when it hashed past `size` (parts beyond the completed list
// were staged) or knows nothing (a restart) — from offset 0 again. Its code is evaluated from the
// string below so that it works the same from the sources and from the esbuild bundle.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync, constants } = require('node:fs');
const CHUNK = 1024 * 1024;
const ALIGN = 4096;
// Read past the page cache where the file allows it: the parts were written past it
// (block-writer.ts), and a buffered read would fill the cache with the whole upload again. A
// WebAssembly memory's base is page-aligned, as O_DIRECT wants.
const buf = Buffer.from(new WebAssembly.Memory({ initial: CHUNK / 65536 }).buffer, 0, CHUNK);
const uploads = new Map();
function openDirect(path) {
  if (constants.O_DIRECT === undefined) return undefined;
  try {
    return openSync(path, constants.O_RDONLY | constants.O_DIRECT);
  } catch (e) {
    if (e.code === 'EINVAL' || e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP') return undefined;
    throw e;
  }
}
function advance(u, path, to) {
  if (u.pos >= to) return;
  let fd = u.pos % ALIGN === 0 ? openDirect(path) : undefined;
  let direct = fd !== undefined;
  if (!direct) fd = openSync(path, 'r');
  const buffered = () => {
    closeSync(fd);
    fd = undefined;
    direct = false;
    fd = openSync(path, 'r');
  };
  try {
    while (u.pos < to) {
      let n;
      try {
        // A direct read takes whole aligned blocks; bytes past 'to' are not hashed.
        n = readSync(fd, buf, 0, direct ? CHUNK : Math.min(CHUNK, to - u.pos), u.pos);
      } catch (e) {
        if (!direct || e.code !== 'EINVAL') throw e;
        buffered();
        continue;
      }
      n = Math.min(n, to - u.pos);
      if (n <= 0) throw new Error('the staging file ends at ' + u.pos + ', before ' + to);
      u.hash.update(buf.subarray(0, n));
      u.pos += n;
      // A short direct read (the end of the file) leaves an unaligned offset: buffered from here.
      if (direct && u.pos % ALIGN !== 0 && u.pos < to) buffered();
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
const fresh = () => ({ hash: createHash('md5'), pos: 0 });
parentPort.on('message', (m) => {
  try {
    if (m.type === 'forget') { uploads.delete(m.id); return; }
    let u = uploads.get(m.id);
    if (m.type === 'final') {
      if (!u) uploads.set(m.id, (u = fresh()));
      advance(u, m.path, m.to);
      return;
    }
    if (m.type === 'digest') {
      if (!u || u.pos > m.size) u = fresh();
      advance(u, m.path, m.size);
      uploads.delete(m.id);
      parentPort.postMessage({ seq: m.seq, md5: u.hash.digest('hex') });
    }
  } catch (e) {
    uploads.delete(m.id);
    if (m.type === 'digest') parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

type Reply = { seq: number; md5?: string; error?: string };

export class StagingMd5 {
  #worker: Worker | undefined;
  #seq = 0;
  readonly #waiting = new Map<number, { resolve(md5: string): void; reject(e: Error): void }>();

  #post(message: Record<string, unknown>): void {
    if (!this.#worker) {
      // A small young generation: the worker allocates little that lives, and a default one grew
      // to 16 MiB of resident memory that stayed after the uploads were done.
      const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      worker.on('message', (r: Reply) => {
        const w = this.#waiting.get(r.seq);
        this.#waiting.delete(r.seq);
        if (this.#waiting.size === 0) worker.unref();
        if (r.md5 !== undefined) w?.resolve(r.md5);
        else w?.reject(new Error(`staging MD5: ${r.error ?? 'no answer'}`));
      });
      const fail = (e: unknown): void => {
        if (this.#worker === worker) this.#worker = undefined;
        for (const w of this.#waiting.values()) w.reject(e instanceof Error ? e : new Error(String(e)));
        this.#waiting.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`staging MD5 worker exited (${code})`)));
      // Keeps the process alive only while an answer is awaited (unref after the listeners:
      // adding one would ref it again).
      worker.unref();
      this.#worker = worker;
    }
    this.#worker.postMessage(message);
  }

  /** Bytes [0, to) of the upload's staging file are final: hash them now. */
  final(uploadId: string, path: string, to: number): void {
    this.#post({ type: 'final', id: uploadId, path, to });
  }

  /** MD5 (lowercase hex) of bytes [0, size) of the staging file. */
  digest(uploadId: string, path: string, size: number): Promise<string> {
    const seq = ++this.#seq;
    return new Promise<string>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      try {
        this.#post({ type: 'digest', id: uploadId, path, size, seq });
        this.#worker?.ref();
      } catch (e) {
        this.#waiting.delete(seq);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  forget(uploadId: string): void {
    if (this.#worker) this.#worker.postMessage({ type: 'forget', id: uploadId });
  }
}
