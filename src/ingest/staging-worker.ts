// The staging writer thread: owns the file descriptors of staging files and their MD5s, so that
// the two costs per downloaded byte that are not networking — the write into the page cache and
// the hash (OpenSSL MD5, a few hundred MiB/s, synchronous) — run beside the main thread instead
// of on it.
//
// Per file, in the order the requests arrive: a slot of the file's shared buffer is written at the
// end of the file, and only once it is written is it hashed, so the hash and the file never
// disagree (a failed write is cut back off, and the appends after it fail too). Writeback starts
// early: every `syncEveryBytes` an fdatasync runs in the background (libuv's pool), so that the
// fsync that makes the stored file durable (the blob store's, before SUCCESS) finds little left
// to flush, and a big download never piles gigabytes of dirty pages up. A re-hash (resumed file)
// reads asynchronously, so one thread keeps serving its other files meanwhile.
//
// Both functions below run from their source text (`stagingWorkerSource`): each may use only its
// parameters and globals — no imports at run time, nothing from module scope but types. They can
// also run on the calling thread (the pool's inline mode), with the same behaviour.
import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type { StagingReply, StagingRequest } from './staging-protocol.js';

/** Where requests come from and replies go: the thread's parentPort, or an in-process stand-in. */
export interface StagingPort {
  on(event: 'message', listener: (req: StagingRequest) => void): unknown;
  postMessage(reply: StagingReply): void;
}

interface StagingStream {
  fd: number | undefined;
  /** The sender's bytes for `append` (its hand-over ring). */
  readonly buffer: Buffer;
  bytes: number;
  hash: Crypto.Hash;
  readonly syncEveryBytes: number;
  /** `bytes` when the last background sync started. */
  syncStartBytes: number;
  syncing: Promise<void> | undefined;
  /** Sticky: appends already on their way after a failed one must not land after the gap. */
  writeError: Error | undefined;
  /** A background fdatasync failed: no more of them (the blob store's fsync will report it). */
  syncFailed: boolean;
  closed: boolean;
}

type OpenRequest = Extract<StagingRequest, { op: 'open' }>;

export interface StagingOps {
  create(req: OpenRequest): StagingStream;
  /** Runs one request; resolves with the digest for `digest`. */
  run(s: StagingStream, req: StagingRequest): Promise<string | undefined>;
}

/** What each request does to a file. */
export function stagingOps(fs: typeof Fs, crypto: typeof Crypto): StagingOps {
  const READ_BYTES = 4 * 1024 * 1024;
  const call = <T>(fn: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

  const fdOf = (s: StagingStream): number => {
    if (s.fd === undefined || s.closed) throw new Error('the staging file is closed');
    return s.fd;
  };

  /** Starts writeback of what was written so far: one fdatasync at a time per file, not waited for. */
  function startWriteback(s: StagingStream): void {
    if (s.syncing) return;
    s.syncStartBytes = s.bytes;
    s.syncing = call<void>((cb) => fs.fdatasync(fdOf(s), cb))
      .catch(() => {
        s.syncFailed = true;
      })
      .finally(() => {
        s.syncing = undefined;
      });
  }

  async function open(s: StagingStream, path: string, trustedBytes: number): Promise<void> {
    const fd = fs.openSync(path, 'a+');
    s.fd = fd;
    const size = fs.fstatSync(fd).size;
    s.bytes = Math.min(size, Math.max(0, Math.floor(trustedBytes)));
    if (size > s.bytes) fs.ftruncateSync(fd, s.bytes);
    const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(1, s.bytes)));
    for (let at = 0; at < s.bytes; ) {
      if (s.closed) throw Object.assign(new Error('closed while opening'), { cancelled: true });
      const n = await call<number>((cb) => fs.read(fd, buf, 0, Math.min(buf.length, s.bytes - at), at, cb));
      if (n === 0) throw new Error(`read ${at} of ${s.bytes} bytes`);
      s.hash.update(buf.subarray(0, n));
      at += n;
    }
  }

  function append(s: StagingStream, offset: number, length: number): void {
    const fd = fdOf(s);
    if (s.writeError) throw s.writeError;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > s.buffer.length) {
      throw new Error(`bad append range ${offset}+${length}`);
    }
    const chunk = s.buffer.subarray(offset, offset + length);
    try {
      for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, chunk.length - done);
    } catch (err) {
      // A partly written chunk would leave bytes the hash does not cover: cut them off.
      s.writeError = err as Error;
      try {
        fs.ftruncateSync(fd, s.bytes);
      } catch {
        // The write's own error is the one worth reporting.
      }
      throw err;
    }
    s.hash.update(chunk);
    s.bytes += chunk.length;
    if (s.syncEveryBytes > 0 && !s.syncFailed && s.bytes - s.syncStartBytes >= s.syncEveryBytes) startWriteback(s);
  }

  async function reset(s: StagingStream): Promise<void> {
    await s.syncing;
    fs.ftruncateSync(fdOf(s), 0);
    s.bytes = 0;
    s.syncStartBytes = 0;
    s.writeError = undefined;
    s.hash = crypto.createHash('md5');
  }

  async function close(s: StagingStream): Promise<void> {
    await s.syncing; // an fdatasync in flight must not outlive the descriptor it uses
    if (s.fd !== undefined) fs.closeSync(s.fd);
    s.fd = undefined;
  }

  return {
    create: (req) => ({
      fd: undefined, buffer: Buffer.from(req.buffer), bytes: 0, hash: crypto.createHash('md5'), syncEveryBytes: req.syncEveryBytes,
      syncStartBytes: 0, syncing: undefined, writeError: undefined, syncFailed: false, closed: false,
    }),
    async run(s, req) {
      switch (req.op) {
        case 'open':
          try {
            await open(s, req.path, req.trustedBytes);
          } catch (err) {
            await close(s); // nothing to keep open
            throw err;
          }
          return undefined;
        case 'append': append(s, req.offset, req.length); return undefined;
        case 'reset': await reset(s); return undefined;
        case 'digest': return s.hash.copy().digest('hex');
        case 'close': await close(s); return undefined;
      }
    },
  };
}

/** The message loop: each file's requests run one after another, in arrival order. */
export function serveStaging(port: StagingPort, ops: StagingOps): void {
  const files = new Map<number, { s: StagingStream; tail: Promise<void> }>();

  const failure = (id: number, err: unknown): StagingReply => {
    const e = err as { message?: unknown; code?: unknown; cancelled?: unknown } | null;
    return {
      id, ok: false, message: typeof e?.message === 'string' ? e.message : String(err),
      code: typeof e?.code === 'string' ? e.code : undefined, cancelled: e?.cancelled === true,
    };
  };

  port.on('message', (req: StagingRequest) => {
    if (req.op === 'open') files.set(req.stream, { s: ops.create(req), tail: Promise.resolve() });
    const file = files.get(req.stream);
    if (file === undefined) {
      port.postMessage(req.op === 'close' ? ({ id: req.id, ok: true, bytes: 0 } satisfies StagingReply) : failure(req.id, new Error('the staging file is closed')));
      return;
    }
    if (req.op === 'close') {
      file.s.closed = true; // at once, so that an open still re-hashing stops at its next read
      files.delete(req.stream);
    }
    file.tail = file.tail
      .then(() => ops.run(file.s, req))
      .then(
        (md5) => port.postMessage({ id: req.id, ok: true, bytes: file.s.bytes, md5 } satisfies StagingReply),
        (err: unknown) => port.postMessage(failure(req.id, err)),
      );
  });
}

/** The writer thread's program, for `new Worker(source, { eval: true })`. */
export function stagingWorkerSource(): string {
  return [
    "'use strict';",
    // esbuild (tsx, the bundle) may wrap local functions in `__name(fn, "name")` (keepNames).
    "var __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true });",
    "const { parentPort } = require('node:worker_threads');",
    `(${serveStaging.toString()})(parentPort, (${stagingOps.toString()})(require('node:fs'), require('node:crypto')));`,
  ].join('\n');
}
