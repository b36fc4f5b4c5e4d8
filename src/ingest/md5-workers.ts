// Running MD5 hashes computed on worker threads, so that hashing a download does not take the
// main thread's time. MD5 runs at about 600 MiB/s on one core, and every downloaded byte is
// hashed: on the main thread that capped the whole process's URL-pull throughput at what one core
// could hash while it also received, wrote and answered requests (bench/ingest).
//
// Each hash lives on one worker (its chunks are hashed in the order given); hashes are spread over
// the pool by load. The bytes travel through a ring of shared memory per hash (RING_BYTES): the
// main thread copies a chunk into the free part of the ring and posts where it is; the worker
// hashes it and says so, which frees that part. Memory stays at one ring per running hash, whatever
// the file's size, and nothing is allocated per chunk (transferred buffers piled up in the worker
// until its garbage collector ran: +120 MiB of RSS on a 512 MiB pull). Rings are reused by later
// hashes of the same worker. The rings of all open hashes together stay under
// MAX_SHARED_RING_BYTES: a hash asked for beyond it runs on the calling thread instead, so a
// crowd of uploads or downloads costs time, never unbounded memory. A worker that dies fails
// every hash it held: their `update` and `digest` reject, and the caller starts that hash again
// from its bytes.
//
// The worker's code is evaluated from the string below so that it works the same from the sources
// and from the esbuild bundle.
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    hashes.set(m.id, { hash: createHash('md5'), ring: new Uint8Array(m.ring) });
  } else if (m.type === 'update') {
    const h = hashes.get(m.id);
    if (h !== undefined) h.hash.update(h.ring.subarray(m.start, m.start + m.length));
    parentPort.postMessage({ type: 'hashed', id: m.id, length: m.skip + m.length });
  } else if (m.type === 'digest') {
    parentPort.postMessage({ type: 'digest', id: m.id, seq: m.seq, hex: hashes.get(m.id).hash.copy().digest('hex') });
  } else if (m.type === 'reset') {
    hashes.get(m.id).hash = createHash('md5');
  } else if (m.type === 'forget') {
    hashes.delete(m.id);
  }
});
`;

/** Shared memory per running hash by default: the bytes given to `update` and not hashed yet. */
export const RING_BYTES = 4 * 1024 * 1024;
/** The rings of every open hash together (ingest's default 16 downloads at RING_BYTES fit). */
export const MAX_SHARED_RING_BYTES = 64 * 1024 * 1024;
/** Spare rings a worker keeps for later hashes, at most. */
const MAX_SPARE_RING_BYTES = 16 * 1024 * 1024;

let sharedRingBytes = 0;

/** Ring bytes held by open hashes right now (for tests). */
export const sharedRingBytesInUse = (): number => sharedRingBytes;

export interface RunningMd5 {
  /** Where the bytes are hashed: on a worker thread, or on this one (the rings were all taken). */
  readonly on: 'worker' | 'caller';
  /**
   * Adds `chunk`. Resolves once it is copied into the hash's ring: until then the caller must
   * leave it unchanged; after, it is the caller's again.
   */
  update(chunk: Uint8Array): Promise<void>;
  /** Lowercase hex MD5 of every byte given so far; the hash goes on. */
  digest(): Promise<string>;
  /** Starts over from no bytes. */
  reset(): void;
  /** The hash is no longer needed: its ring goes back to the worker's spares. */
  forget(): void;
}

type Reply =
  | { type: 'hashed'; id: number; length: number }
  | { type: 'digest'; id: number; seq: number; hex: string };

class HashWorker {
  private readonly worker: Worker;
  private readonly hashes = new Map<number, WorkerHash>();
  /** Rings of forgotten hashes. Safe to reuse: this worker reads them in message order. */
  private readonly spareRings: SharedArrayBuffer[] = [];
  private spareBytes = 0;
  /** Callers waiting on this worker (a digest, or room in a ring): the process stays alive for them. */
  private waiting = 0;
  failure: Error | undefined;

  constructor() {
    // A small young generation: the worker's garbage is its messages, and a default one grows to
    // 16 MiB of resident memory that stays once the downloads are done.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.worker.on('message', (r: Reply) => {
      const hash = this.hashes.get(r.id);
      if (r.type === 'digest') hash?.digested(r.seq, r.hex);
      else hash?.hashed(r.length);
    });
    const fail = (err: Error): void => {
      this.failure ??= err;
      for (const h of this.hashes.values()) h.fail(this.failure);
      this.hashes.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the MD5 worker exited (${code})`)));
    // Keeps the process alive only while someone waits for an answer.
    this.worker.unref();
  }

  get load(): number {
    return this.hashes.size;
  }

  /** Registers a hash; returns its ring. */
  open(hash: WorkerHash, ringBytes: number): Uint8Array {
    const spare = this.spareRings.findIndex((r) => r.byteLength === ringBytes);
    const ring = spare === -1 ? new SharedArrayBuffer(ringBytes) : (this.spareRings.splice(spare, 1)[0] as SharedArrayBuffer);
    if (spare !== -1) this.spareBytes -= ringBytes;
    if (this.failure) hash.fail(this.failure);
    else {
      this.hashes.set(hash.id, hash);
      this.worker.postMessage({ type: 'open', id: hash.id, ring });
    }
    return new Uint8Array(ring);
  }

  close(id: number, ring: Uint8Array): void {
    if (!this.hashes.delete(id) || this.failure) return;
    this.worker.postMessage({ type: 'forget', id });
    if (this.spareBytes + ring.length > MAX_SPARE_RING_BYTES) return;
    this.spareRings.push(ring.buffer as SharedArrayBuffer);
    this.spareBytes += ring.length;
  }

  post(message: Record<string, unknown>): void {
    if (!this.failure) this.worker.postMessage(message);
  }

  /** Someone waits for an answer from this worker; call the result when they have it (or gave up). */
  wait(): () => void {
    if (this.waiting++ === 0) this.worker.ref();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.waiting === 0) this.worker.unref();
    };
  }
}

let nextId = 0;

class WorkerHash implements RunningMd5 {
  readonly on = 'worker';
  readonly id = ++nextId;
  private readonly ring: Uint8Array;
  /** Its ring's bytes, counted in sharedRingBytes until the hash fails or is forgotten. */
  private heldRingBytes: number;
  /** Ring bytes given to the worker and not hashed yet; they end at `writeAt`. */
  private queued = 0;
  private writeAt = 0;
  private roomWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  private digestWaiters = new Map<number, { resolve(hex: string): void; reject(e: Error): void }>();
  private digestSeq = 0;
  private failure: Error | undefined;
  /** Updates run one after another: a second caller waits for the first. */
  private updating: Promise<void> = Promise.resolve();

  constructor(private readonly worker: HashWorker, ringBytes: number) {
    this.heldRingBytes = ringBytes;
    sharedRingBytes += ringBytes;
    this.ring = worker.open(this, ringBytes);
  }

  update(chunk: Uint8Array): Promise<void> {
    const run = this.updating.then(() => this.put(chunk));
    this.updating = run.catch(() => {});
    return run;
  }

  private async put(chunk: Uint8Array): Promise<void> {
    const ringBytes = this.ring.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.failure) throw this.failure;
      // The free bytes start at writeAt and run to the ring's end, then on from its start. The
      // copy starts at the first of them that has the source's alignment (mod 8), and the bytes
      // skipped to get there are released with it: V8 copies into shared memory a word at a time
      // only when both sides are aligned alike, otherwise a byte at a time (measured ≈ 5× slower,
      // and network chunks come at any offset). RING_BYTES is a multiple of 8.
      const srcAlign = (chunk.byteOffset + at) & 7;
      let start = this.writeAt + ((srcAlign - this.writeAt) & 7);
      if (start >= ringBytes) start = srcAlign; // no such byte before the end: from the start
      const skip = (start - this.writeAt + ringBytes) % ringBytes;
      const free = ringBytes - this.queued - skip;
      if (free <= 0) {
        await this.room();
        continue;
      }
      const length = Math.min(chunk.length - at, free, ringBytes - start);
      this.ring.set(chunk.subarray(at, at + length), start);
      this.worker.post({ type: 'update', id: this.id, start, length, skip });
      this.queued += skip + length;
      this.writeAt = (start + length) % ringBytes;
      at += length;
    }
  }

  private room(): Promise<void> {
    const done = this.worker.wait();
    return new Promise<void>((resolve, reject) => {
      this.roomWaiter = { resolve, reject };
    }).finally(done);
  }

  digest(): Promise<string> {
    const seq = ++this.digestSeq;
    // After every update given so far has been queued, so the digest covers them.
    return this.updating.then(() => {
      if (this.failure) throw this.failure;
      const done = this.worker.wait();
      return new Promise<string>((resolve, reject) => {
        this.digestWaiters.set(seq, { resolve, reject });
        this.worker.post({ type: 'digest', id: this.id, seq });
      }).finally(done);
    });
  }

  reset(): void {
    this.updating = this.updating.then(() => this.worker.post({ type: 'reset', id: this.id }));
  }

  forget(): void {
    if (this.failure) return;
    this.fail(new Error('the MD5 was forgotten'));
    // After the updates in progress have been queued: the ring is then only read, in order.
    void this.updating.then(() => this.worker.close(this.id, this.ring));
  }

  hashed(length: number): void {
    this.queued -= length;
    const waiter = this.roomWaiter;
    this.roomWaiter = undefined;
    waiter?.resolve();
  }

  digested(seq: number, hex: string): void {
    const w = this.digestWaiters.get(seq);
    this.digestWaiters.delete(seq);
    w?.resolve(hex);
  }

  fail(err: Error): void {
    this.failure ??= err;
    sharedRingBytes -= this.heldRingBytes;
    this.heldRingBytes = 0;
    this.roomWaiter?.reject(err);
    this.roomWaiter = undefined;
    for (const w of this.digestWaiters.values()) w.reject(err);
    this.digestWaiters.clear();
  }
}

/** Worker threads: one fewer than the cores (the main thread has work too), at least 1, at most 4. */
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism() - 1));
const pool: HashWorker[] = [];

/** Hashes on the calling thread, behind the same interface. */
class CallerHash implements RunningMd5 {
  readonly on = 'caller';
  private hash: Hash = createHash('md5');
  private forgotten = false;

  update(chunk: Uint8Array): Promise<void> {
    if (this.forgotten) return Promise.reject(new Error('the MD5 was forgotten'));
    this.hash.update(chunk);
    return Promise.resolve();
  }

  digest(): Promise<string> {
    if (this.forgotten) return Promise.reject(new Error('the MD5 was forgotten'));
    return Promise.resolve(this.hash.copy().digest('hex'));
  }

  reset(): void {
    this.hash = createHash('md5');
  }

  forget(): void {
    this.forgotten = true;
  }
}

/** A running MD5 on the calling thread: for bodies too small to be worth a worker's round trips. */
export const callerMd5 = (): RunningMd5 => new CallerHash();

/**
 * A new running MD5 on the least busy worker (a dead worker is replaced), with a ring of
 * `ringBytes` (default RING_BYTES); on the calling thread when the open hashes' rings already
 * hold MAX_SHARED_RING_BYTES.
 */
export function runningMd5(options: { ringBytes?: number } = {}): RunningMd5 {
  // A multiple of 8, for the aligned copy (see put).
  const ringBytes = Math.max(8, Math.ceil((options.ringBytes ?? RING_BYTES) / 8) * 8);
  if (sharedRingBytes + ringBytes > MAX_SHARED_RING_BYTES) return new CallerHash();
  for (let i = pool.length - 1; i >= 0; i--) if (pool[i]?.failure) pool.splice(i, 1);
  let worker = pool.length < POOL_SIZE ? undefined : pool.reduce((a, b) => (b.load < a.load ? b : a));
  if (worker === undefined) {
    worker = new HashWorker();
    pool.push(worker);
  }
  return new WorkerHash(worker, ringBytes);
}
