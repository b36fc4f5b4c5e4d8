// The MD5 of a whole local file, on a worker thread: the FileMD5 of a video uploaded in parts,
// computed by its analysis job (upload-analyse.handler.ts). CompleteMultipartUpload does not
// compute it: the parts' MD5s cannot be combined into the object's, and a second pass over every
// byte while the upload is still going on cost the upload a third of its speed on two cores
// (README, *Where the unmet goals stand*). After Complete the pass runs beside ffprobe and
// ffmpeg instead, off the client's path, and it needs no state kept from the upload — so it is
// the same after a restart, or when Complete ran in another process.
//
// The worker reads past the page cache where the file allows it (the object was written past it:
// block-writer.ts), in 1 MiB reads, and gives its event loop a turn every 64 MiB so that a
// cancellation reaches it. Its code is evaluated from the string below so that it works the same
// from the sources and from the esbuild bundle.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync, constants } = require('node:fs');
const CHUNK = 1024 * 1024;
const SLICE = 64 * CHUNK;
const ALIGN = 4096;
// A WebAssembly memory's base is page-aligned, as O_DIRECT wants.
const buf = Buffer.from(new WebAssembly.Memory({ initial: CHUNK / 65536 }).buffer, 0, CHUNK);
const running = new Set();
const cancelled = new Set();
function openDirect(path) {
  if (constants.O_DIRECT === undefined) return undefined;
  try {
    return openSync(path, constants.O_RDONLY | constants.O_DIRECT);
  } catch (e) {
    if (e.code === 'EINVAL' || e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP') return undefined;
    throw e;
  }
}
function hashFile(seq, path) {
  let fd = openDirect(path);
  let direct = fd !== undefined;
  if (!direct) fd = openSync(path, 'r');
  const hash = createHash('md5');
  let pos = 0;
  running.add(seq);
  const finish = (reply) => {
    closeSync(fd);
    running.delete(seq);
    cancelled.delete(seq);
    parentPort.postMessage(reply);
  };
  const slice = () => {
    try {
      if (cancelled.has(seq)) return finish({ seq, error: 'cancelled' });
      const until = pos + SLICE;
      while (pos < until) {
        let n;
        try {
          n = readSync(fd, buf, 0, CHUNK, pos);
        } catch (e) {
          if (!direct || e.code !== 'EINVAL') throw e;
          // This file (or its end) cannot be read directly: buffered reads from here.
          closeSync(fd);
          fd = openSync(path, 'r');
          direct = false;
          continue;
        }
        if (n === 0) return finish({ seq, md5: hash.digest('hex'), size: pos });
        hash.update(buf.subarray(0, n));
        pos += n;
        if (direct && pos % ALIGN !== 0) {
          // A short direct read (the end of the file) leaves an unaligned offset.
          closeSync(fd);
          fd = openSync(path, 'r');
          direct = false;
        }
      }
      setImmediate(slice);
    } catch (e) {
      finish({ seq, error: String((e && e.message) || e) });
    }
  };
  slice();
}
parentPort.on('message', (m) => {
  if (m.type === 'cancel') { if (running.has(m.seq)) cancelled.add(m.seq); return; }
  try {
    hashFile(m.seq, m.path);
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String((e && e.message) || e) });
  }
});
`;

type Reply = { seq: number; md5?: string; size?: number; error?: string };

export interface FileDigest {
  /** Lowercase hex. */
  readonly md5: string;
  /** Bytes hashed: the file's size when it was read to its end. */
  readonly size: number;
}

export class FileMd5 {
  #worker: Worker | undefined;
  #seq = 0;
  readonly #waiting = new Map<number, { resolve(d: FileDigest): void; reject(e: Error): void }>();

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // A small young generation: the worker allocates little that lives.
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    worker.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.seq);
      this.#waiting.delete(r.seq);
      if (this.#waiting.size === 0) worker.unref();
      if (r.md5 !== undefined && r.size !== undefined) w?.resolve({ md5: r.md5, size: r.size });
      else w?.reject(new Error(`file MD5: ${r.error ?? 'no answer'}`));
    });
    const fail = (e: unknown): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const w of this.#waiting.values()) w.reject(e instanceof Error ? e : new Error(String(e)));
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`file MD5 worker exited (${code})`)));
    // Keeps the process alive only while an answer is awaited (unref after the listeners:
    // adding one would ref it again).
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  /** The MD5 of the file at `path`, read to its end. Aborting rejects with the signal's reason. */
  async hash(path: string, signal?: AbortSignal): Promise<FileDigest> {
    signal?.throwIfAborted();
    const seq = ++this.#seq;
    const worker = this.#start();
    return new Promise<FileDigest>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting.delete(seq);
        worker.postMessage({ type: 'cancel', seq });
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      this.#waiting.set(seq, {
        resolve: (d) => { settle(); resolve(d); },
        reject: (e) => { settle(); reject(e); },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.ref();
      worker.postMessage({ type: 'hash', seq, path });
    });
  }
}

/** The process's file hasher: one worker, started on first use, idle (unref'd) between files. */
export const fileMd5 = new FileMd5();
