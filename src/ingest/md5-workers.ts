// Running MD5 hashes computed on worker threads, so that hashing a download does not take the
// main thread's time. MD5 runs at about 600-700 MiB/s on one core, and every downloaded byte is
// hashed: on the main thread that capped the whole process's URL-pull throughput at what one core
// could hash while it also received, wrote and answered requests (bench/ingest).
//
// Each hash lives on one worker (its chunks are hashed in the order given); hashes are spread over
// the pool by load. The bytes travel through a ring per hash (RING_BYTES) in the worker's memory,
// a shared WebAssembly memory: the main thread copies a chunk into the free part of the ring and
// posts where it is; the worker hashes it and says so, which frees that part. Memory stays at one
// ring per running hash, whatever the file's size, and nothing is allocated per chunk (transferred
// buffers piled up in the worker until its garbage collector ran: +120 MiB of RSS on a 512 MiB
// pull). The rings of all open hashes together stay under MAX_SHARED_RING_BYTES: a hash asked for
// beyond it runs on the calling thread instead, so a crowd of uploads or downloads costs time,
// never unbounded memory. A WebAssembly memory cannot hand pages back, so the pages rings have
// used stay resident; rings are taken lowest first, which keeps that to the most ring bytes ever
// open at once (4 MiB for one download, 64 MiB at most). A worker that dies fails every hash it
// held: their `update` and `digest` reject, and the caller starts that hash again from its bytes.
//
// Two engines. OpenSSL (node:crypto) hashes a stream as its bytes come. MD5 must run one stream's
// 64-byte blocks in order, each step waiting on the one before, but several streams fit side by
// side in SIMD lanes for little more than the cost of one: four in WebAssembly's 128-bit lanes
// (md5-wasm.ts: ≈ 1,550 MiB/s in all against OpenSSL's ≈ 720 for one stream; 550 for the kernel's
// one-stream form), eight in the native kernel's 256-bit ones where it was built and the CPU has
// AVX2 (md5-native.ts, native/md5-lanes.c: ≈ 4,700 MiB/s in all with AVX-512VL). A hash opened
// with `lanes` (the URL fetcher's, many long downloads at once) is hashed by a lanes kernel, in
// place in its ring: the worker lets queued bytes wait — until as many hashes as the lanes can take
// (WIDTH: eight native, four WebAssembly) have LANE_READY_BYTES each, or LANE_WAIT_MS has passed,
// or one of them has half its ring full — and then runs them at once, the spare lanes repeating a
// stream; a digest hashes its stream's queued bytes at once, taking into the lanes whatever others
// have queued. Any hash not opened with `lanes` is OpenSSL's (a stream alone is faster there, and
// its bytes never wait), and so is the first hash of an idle worker whose lanes are WebAssembly's.
// With the native kernel the first goes to the lanes too: one hash keeps its engine for life, and
// the eight lanes cost so little a stream that the first download's 100 MiB through OpenSSL,
// while seven others ran in the lanes, cost more than their 700 MiB did (bench:ingest, 20 × 100
// MiB: the CPU of the server's threads other than the main one 2.0 → 1.6 s, with the waiting
// below, in two alternating pairs). The blocks that carry a stream across the ring's end, and the
// final padding, go through the WebAssembly kernel's one-stream form.
//
// The worker's code is evaluated from the string below so that it works the same from the sources
// and from the esbuild bundle.
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { wasmApi } from '../wasm/assemble.js';
import { type NativeLanes, nativeLanes } from './md5-native.js';
import { md5ModuleBytes } from './md5-wasm.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { memory, module, laneWaitMs, readyBytes, nativePath } = workerData;
// No module where this V8 cannot compile it (no WebAssembly SIMD): every hash is OpenSSL's then.
const { lanes, one } = module ? new WebAssembly.Instance(module, { env: { memory } }).exports : {};
// The native eight-lane kernel (md5-native.ts), where it was built and loads; else the four lanes.
const native = nativePath ? require(nativePath) : undefined;
const WIDTH = native ? 8 : 4;
const u8 = new Uint8Array(memory.buffer);
const dv = new DataView(memory.buffer);
const LANE_STATE = 0, FINAL = 128, PAD = 192;
const INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
const streams = new Map();
let scheduled = false;
let timer;

function restart(s) {
  for (let j = 0; j < 4; j++) dv.setUint32(s.slot + 4 * j, INIT[j], true);
  s.carry = 0;
  s.total = 0;
}
// Drops every byte queued and not hashed (a reset, a forget): their ring space is free again.
function drop(s) {
  for (const seg of s.segs) s.release += seg.skip + seg.length;
  s.segs = [];
  s.pending = 0;
}
function take(s, n) {
  const seg = s.segs[0];
  seg.used += n;
  seg.at += n;
  s.pending -= n;
  if (seg.used === seg.length) {
    s.segs.shift();
    s.release += seg.skip + seg.length;
  }
}
// Whole 64-byte blocks that lie in one piece at the head of s's queue, after completing a block
// begun in s's carry (hashed alone) and moving a short head segment's bytes into the carry.
function headBlocks(s) {
  while (s.segs.length > 0) {
    const seg = s.segs[0];
    const left = seg.length - seg.used;
    if (s.carry > 0 || left < 64) {
      const n = Math.min(64 - s.carry, left);
      u8.copyWithin(s.slot + 64 + s.carry, seg.at, seg.at + n);
      s.carry += n;
      take(s, n);
      if (s.carry === 64) {
        one(s.slot, s.slot + 64, 1);
        s.carry = 0;
      }
      continue;
    }
    return left >>> 6;
  }
  return 0;
}
function hashOne(s, blocks) {
  one(s.slot, s.segs[0].at, blocks);
  take(s, blocks * 64);
}
// WIDTH streams (or fewer, the spare lanes reading the first's bytes) n blocks each.
function hashLanes(group, n) {
  const p = [];
  for (let j = 0; j < WIDTH; j++) {
    const s = group[Math.min(j, group.length - 1)];
    for (let w = 0; w < 4; w++) dv.setUint32(LANE_STATE + 4 * (WIDTH * w + j), dv.getUint32(s.slot + 4 * w, true), true);
    p.push(s.segs[0].at);
  }
  if (native) native.lanes(u8, LANE_STATE, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], n);
  else lanes(LANE_STATE, p[0], p[1], p[2], p[3], n);
  group.forEach((s, j) => {
    for (let w = 0; w < 4; w++) dv.setUint32(s.slot + 4 * w, dv.getUint32(LANE_STATE + 4 * (WIDTH * w + j), true), true);
    take(s, n * 64);
  });
}
// The MD5 of everything given so far, the running state left as it was.
function finalHex(s) {
  u8.copyWithin(FINAL, s.slot, s.slot + 16);
  u8.copyWithin(PAD, s.slot + 64, s.slot + 64 + s.carry);
  const blocks = s.carry < 56 ? 1 : 2;
  u8.fill(0, PAD + s.carry, PAD + 64 * blocks);
  u8[PAD + s.carry] = 0x80;
  dv.setBigUint64(PAD + 64 * blocks - 8, BigInt(s.total) * 8n, true);
  one(FINAL, PAD, blocks);
  return Buffer.from(memory.buffer, FINAL, 16).toString('hex');
}
// One turn of the kernel for a group of streams with whole blocks queued ({ s, blocks }, at most
// WIDTH): in the lanes, as many blocks as the shortest has (64 KiB at most). A stream alone goes
// through the WebAssembly one-stream form, all its blocks, unless the kernel is native: 1/8 of
// that (≈ 585 MiB/s, the spare lanes repeating the stream) is more than the one-stream form's 525.
function hashGroup(group) {
  if (group.length === 1 && !native) hashOne(group[0].s, group[0].blocks);
  else hashLanes(group.map((x) => x.s), Math.min(1024, ...group.map((x) => x.blocks)));
}
// Hashes everything s has queued, now (its digest is asked for), taking into the lanes beside it
// any other streams that have whole blocks queued too.
function flush(s) {
  for (let blocks = headBlocks(s); blocks > 0; blocks = headBlocks(s)) {
    const group = [{ s, blocks }];
    for (const o of streams.values()) {
      if (group.length === WIDTH) break;
      if (o === s || o.openssl) continue;
      const b = headBlocks(o);
      if (b > 0) group.push({ s: o, blocks: b });
    }
    hashGroup(group);
  }
}
// Hashes what is queued. Bytes wait until as many streams as the lanes can take (target) have
// some, so that the lanes are full; once they have waited laneWaitMs, half as many will do. A
// stream that is ahead of the others does not run its excess alone — that would be a one-stream
// pass at a fraction of the lanes' rate — but waits for them to catch up, unless its ring is half
// full. (A digest does not wait: see flush.)
function pump(timedOut) {
  const open = [...streams.values()].filter((s) => !s.openssl);
  const target = Math.max(1, Math.min(WIDTH, open.length));
  const enough = timedOut ? Math.ceil(target / 2) : target;
  const urgent = (s) => s.pending >= s.ringBytes / 2;
  let ready = 0;
  let now = timedOut;
  for (const s of open) {
    if (s.pending >= readyBytes) ready++;
    if (s.pending > 0 && urgent(s)) now = true;
  }
  if (now || ready >= target) {
    for (;;) {
      const group = [];
      for (const s of open) {
        const blocks = headBlocks(s);
        if (blocks > 0) group.push({ s, blocks });
      }
      if (group.length === 0 || (group.length < enough && !group.some((x) => urgent(x.s)))) break;
      group.sort((x, y) => y.blocks - x.blocks);
      hashGroup(group.slice(0, WIDTH));
    }
  }
  let waiting = false;
  for (const s of streams.values()) {
    if (s.release > 0) {
      parentPort.postMessage({ type: 'hashed', id: s.id, length: s.release });
      s.release = 0;
    }
    if (s.pending > 0) waiting = true;
  }
  if (waiting && timer === undefined) {
    timer = setTimeout(() => {
      timer = undefined;
      pump(true);
    }, laneWaitMs);
  } else if (!waiting && timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
}
function schedule() {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    pump(false);
  });
}
parentPort.on('message', (m) => {
  const s = streams.get(m.id);
  if (m.type === 'open') {
    const n = { id: m.id, slot: m.slot, ring: m.ring, ringBytes: m.ringBytes, segs: [], pending: 0, release: 0, openssl: m.openssl ? createHash('md5') : undefined };
    restart(n);
    streams.set(m.id, n);
  } else if (m.type === 'update') {
    if (s.openssl) {
      s.openssl.update(u8.subarray(s.ring + m.start, s.ring + m.start + m.length));
      s.release += m.skip + m.length;
    } else {
      s.segs.push({ at: s.ring + m.start, length: m.length, used: 0, skip: m.skip });
      s.pending += m.length;
      s.total += m.length;
    }
    schedule();
  } else if (m.type === 'digest') {
    // Of exactly the bytes given before it: anything queued is hashed first, and nothing given
    // after it (a later message) can be.
    if (!s.openssl) flush(s);
    parentPort.postMessage({ type: 'digest', id: s.id, seq: m.seq, hex: s.openssl ? s.openssl.copy().digest('hex') : finalHex(s) });
    schedule();
  } else if (m.type === 'reset') {
    drop(s);
    if (s.openssl) s.openssl = createHash('md5');
    else restart(s);
    schedule();
  } else if (m.type === 'forget') {
    streams.delete(m.id);
  }
});
`;

/** Shared memory per running hash by default: the bytes given to `update` and not hashed yet. */
export const RING_BYTES = 4 * 1024 * 1024;
/** The rings of every open hash together (ingest's default 16 downloads at RING_BYTES fit). */
export const MAX_SHARED_RING_BYTES = 64 * 1024 * 1024;

let sharedRingBytes = 0;

/** Ring bytes held by open hashes right now (for tests). */
export const sharedRingBytesInUse = (): number => sharedRingBytes;

export type LaneKernel = 'native' | 'webassembly';

export interface RunningMd5 {
  /** Where the bytes are hashed: on a worker thread, or on this one (the rings were all taken). */
  readonly on: 'worker' | 'caller';
  /** Hashed by a lanes kernel beside other hashes: the native one or WebAssembly's; false: by OpenSSL. */
  readonly lanes: LaneKernel | false;
  /**
   * Adds `chunk`. Resolves once it is copied into the hash's ring: until then the caller must
   * leave it unchanged; after, it is the caller's again.
   */
  update(chunk: Uint8Array): Promise<void>;
  /** Lowercase hex MD5 of every byte given so far; the hash goes on. */
  digest(): Promise<string>;
  /** Starts over from no bytes. */
  reset(): void;
  /** The hash is no longer needed: its ring goes back to the worker. */
  forget(): void;
  /**
   * A stretch of `bytes` of the hash's own memory, starting at a multiple of `align` (at most
   * 4096), for the caller to fill and then give to `update` piece by piece, in order: the hash
   * takes those bytes where they are, without the copy `update` makes of any other chunk. The
   * caller must leave a piece unchanged once given, and fills the stretch through `fill`.
   * Undefined when this hash cannot lend: on the calling thread, without the native helper (V8
   * alone fills shared memory too slowly for this to pay), or a ring under twice `bytes`. One
   * stretch at a time.
   */
  lend(bytes: number, align: number): Promise<Uint8Array> | undefined;
  /** The stretch lent last is not used any more; what of it was not given is dropped. */
  unlend(): void;
  /** Copies `source` into a lent stretch at `offset`, as fast as a copy into ordinary memory. */
  fill(block: Uint8Array, offset: number, source: Uint8Array): void;
}

type Reply =
  | { type: 'hashed'; id: number; length: number }
  | { type: 'digest'; id: number; seq: number; hex: string };

/** The worker's memory: scratch (lane state, padding), then a 128-byte slot per hash, then the rings. */
const SLOTS_AT = 1024;
const SLOT_BYTES = 128;
const RINGS_AT = 64 * 1024;
const MAX_SLOTS = (RINGS_AT - SLOTS_AT) / SLOT_BYTES;
const WASM_PAGE = 64 * 1024;
/** Rings start at multiples of this. */
const RING_ALIGN = 4096;
const MEMORY_PAGES = (RINGS_AT + MAX_SHARED_RING_BYTES) / WASM_PAGE;
/** How long queued bytes may wait for other hashes' bytes, so that the lanes are full. */
const LANE_WAIT_MS = 8;
/** Bytes a hash has queued before it counts as ready for the lanes. */
const LANE_READY_BYTES = 64 * 1024;

let compiled: object | null | undefined;
/** The kernel, compiled once; null where WebAssembly SIMD is missing (then no hash asks for lanes). */
function md5Module(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasmApi.Module(md5ModuleBytes(MEMORY_PAGES));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

class HashWorker {
  private readonly worker: Worker;
  private readonly hashes = new Map<number, WorkerHash>();
  /** The memory the worker hashes from; the rings are carved out of it. */
  readonly bytes: Uint8Array;
  /** Free stretches after the slots, by offset (first fit; neighbours merged). */
  private readonly free: { at: number; length: number }[] = [{ at: RINGS_AT, length: MEMORY_PAGES * WASM_PAGE - RINGS_AT }];
  private readonly freeSlots = Array.from({ length: MAX_SLOTS }, (_, i) => SLOTS_AT + (MAX_SLOTS - 1 - i) * SLOT_BYTES);
  /** Callers waiting on this worker (a digest, or room in a ring): the process stays alive for them. */
  private waiting = 0;
  failure: Error | undefined;

  /** The native kernel this worker runs in place of the WebAssembly lanes (md5-native.ts), if any. */
  readonly nativePath: string | undefined;

  constructor(nativePath: string | undefined) {
    this.nativePath = nativePath;
    const memory = new wasmApi.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES, shared: true });
    this.bytes = new Uint8Array(memory.buffer);
    // A small young generation: the worker's garbage is its messages, and a default one grows to
    // 16 MiB of resident memory that stays once the downloads are done.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      workerData: { memory, module: md5Module(), laneWaitMs: LANE_WAIT_MS, readyBytes: LANE_READY_BYTES, nativePath: this.nativePath },
    });
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

  terminate(): Promise<number> {
    this.failure ??= new Error('the MD5 worker was retired');
    return this.worker.terminate();
  }

  /** A stretch of `bytes` (rounded up to RING_ALIGN) and a slot, or undefined when there is none. */
  private take(bytes: number): { at: number; slot: number } | undefined {
    const length = Math.ceil(bytes / RING_ALIGN) * RING_ALIGN;
    const i = this.free.findIndex((f) => f.length >= length);
    if (i === -1 || this.freeSlots.length === 0) return undefined;
    const stretch = this.free[i] as { at: number; length: number };
    const at = stretch.at;
    if (stretch.length === length) this.free.splice(i, 1);
    else {
      stretch.at += length;
      stretch.length -= length;
    }
    return { at, slot: this.freeSlots.pop() as number };
  }

  private release(at: number, bytes: number): void {
    const length = Math.ceil(bytes / RING_ALIGN) * RING_ALIGN;
    let i = this.free.findIndex((f) => f.at > at);
    if (i === -1) i = this.free.length;
    this.free.splice(i, 0, { at, length });
    // Merged with the stretch after, then the one before.
    const next = this.free[i + 1];
    if (next && at + length === next.at) {
      (this.free[i] as { length: number }).length += next.length;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.at + prev.length === at) {
      prev.length += (this.free[i] as { length: number }).length;
      this.free.splice(i, 1);
    }
  }

  /**
   * Registers a hash; returns where its ring starts in `bytes`, or undefined when this worker has
   * no slot or no stretch that large left. A hash that asked for the lanes goes to the lanes
   * kernel unless it is the only one of a worker with WebAssembly lanes; any other to OpenSSL
   * (faster than a kernel for a stream alone, and its bytes never wait for others').
   */
  open(hash: WorkerHash, ringBytes: number, lanes: boolean): number | undefined {
    const room = this.take(ringBytes);
    if (room === undefined) return undefined;
    hash.slot = room.slot;
    if (this.failure) hash.fail(this.failure);
    else {
      const kernel: LaneKernel = this.nativePath !== undefined ? 'native' : 'webassembly';
      const inLanes = lanes && md5Module() !== null && (kernel === 'native' || this.load > 0);
      hash.lanes = inLanes ? kernel : false;
      this.worker.postMessage({ type: 'open', id: hash.id, slot: room.slot, ring: room.at, ringBytes, openssl: !hash.lanes });
      this.hashes.set(hash.id, hash);
    }
    return room.at;
  }

  close(hash: WorkerHash, ring: number, ringBytes: number): void {
    if (!this.hashes.delete(hash.id) || this.failure) return;
    // The worker handles messages in order: it is done with the ring and the slot before it reads
    // the next 'open' that may reuse them.
    this.worker.postMessage({ type: 'forget', id: hash.id });
    this.freeSlots.push(hash.slot);
    this.release(ring, ringBytes);
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
  /** Its state's place in the worker's memory, and its engine (HashWorker.open). */
  slot = 0;
  lanes: LaneKernel | false = false;
  private ring: Uint8Array = new Uint8Array(0);
  private ringAt = 0;
  /** Its ring's bytes, counted in sharedRingBytes until the hash fails or is forgotten. */
  private heldRingBytes = 0;
  /** Ring bytes given to the worker and not hashed yet; they end at `writeAt`. */
  private queued = 0;
  private writeAt = 0;
  private roomWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  private digestWaiters = new Map<number, { resolve(hex: string): void; reject(e: Error): void }>();
  private digestSeq = 0;
  private failure: Error | undefined;
  /** Updates run one after another: a second caller waits for the first. */
  private updating: Promise<void> = Promise.resolve();
  /** The stretch lent (ring offsets), and the first of its bytes not given yet. */
  private lent: { end: number; next: number } | undefined;
  /** The native copy that fills lent stretches, taken when the first is lent. */
  private copy: NativeLanes['copy'] | undefined;

  constructor(private readonly worker: HashWorker) {}

  /** Takes a ring of `ringBytes` on the worker; false when the worker has none to give. */
  start(ringBytes: number, lanes: boolean): boolean {
    this.heldRingBytes = ringBytes;
    sharedRingBytes += ringBytes;
    const at = this.worker.open(this, ringBytes, lanes);
    if (at === undefined) {
      sharedRingBytes -= ringBytes;
      this.heldRingBytes = 0;
      return false;
    }
    this.ringAt = at;
    this.ring = this.worker.bytes.subarray(at, at + ringBytes);
    return true;
  }

  update(chunk: Uint8Array): Promise<void> {
    const run = this.updating.then(() => this.put(chunk));
    this.updating = run.catch(() => {});
    return run;
  }

  lend(bytes: number, align: number): Promise<Uint8Array> | undefined {
    // Only where the native copy fills it: V8 would fill shared memory a byte at a time.
    const native = this.worker.nativePath === undefined ? undefined : nativeLanes();
    if (native === undefined) return undefined;
    if (bytes * 2 > this.ring.length || RING_ALIGN % align !== 0) return undefined;
    this.copy = native.copy;
    const run = this.updating.then(() => this.reserve(bytes, align));
    this.updating = run.then(() => {}, () => {});
    return run;
  }

  unlend(): void {
    this.lent = undefined;
  }

  fill(block: Uint8Array, offset: number, source: Uint8Array): void {
    if (this.copy === undefined) throw new Error('nothing was lent');
    this.copy(block, offset, source);
  }

  /** The first stretch from writeAt on that starts aligned and fits before the ring's end, once it is free. */
  private async reserve(bytes: number, align: number): Promise<Uint8Array> {
    const ringBytes = this.ring.length;
    for (;;) {
      if (this.failure) throw this.failure;
      // The ring starts at a multiple of RING_ALIGN, so an offset aligned in it is aligned in memory.
      let start = Math.ceil(this.writeAt / align) * align;
      if (start + bytes > ringBytes) start = 0;
      const skip = (start - this.writeAt + ringBytes) % ringBytes;
      if (skip + bytes <= ringBytes - this.queued) {
        this.lent = { end: start + bytes, next: start };
        return this.ring.subarray(start, start + bytes);
      }
      await this.room();
    }
  }

  private async put(chunk: Uint8Array): Promise<void> {
    const ringBytes = this.ring.length;
    const lent = this.lent;
    if (lent !== undefined && chunk.buffer === this.ring.buffer && chunk.length > 0) {
      const start = chunk.byteOffset - this.ring.byteOffset;
      if (start >= lent.next && start + chunk.length <= lent.end) {
        if (this.failure) throw this.failure;
        // Bytes already in the ring, in room reserved up to the stretch's end: given as they are.
        const skip = (start - this.writeAt + ringBytes) % ringBytes;
        this.worker.post({ type: 'update', id: this.id, start, length: chunk.length, skip });
        this.queued += skip + chunk.length;
        this.writeAt = (start + chunk.length) % ringBytes;
        lent.next = start + chunk.length;
        return;
      }
      if (start >= 0 && start < ringBytes) throw new Error('bytes of the lent stretch given out of order');
    }
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
    this.lent = undefined;
    this.fail(new Error('the MD5 was forgotten'));
    // Nothing more is copied into the ring: an update waiting for room has just been failed, and
    // one between copies stops at its next (put checks for a failure first).
    this.worker.close(this, this.ringAt, this.ring.length);
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
  readonly lanes = false;
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

  lend(): undefined {
    return undefined;
  }

  unlend(): void {}

  fill(): void {
    throw new Error('a hash on the calling thread lends no blocks');
  }
}

/** A running MD5 on the calling thread: for bodies too small to be worth a worker's round trips. */
export const callerMd5 = (): RunningMd5 => new CallerHash();

/**
 * A new running MD5 on the least busy worker (a dead worker is replaced), with a ring of
 * `ringBytes` (default RING_BYTES); on the calling thread when the open hashes' rings already
 * hold MAX_SHARED_RING_BYTES. `lanes`: hashed in a lanes kernel's SIMD lanes beside the worker's
 * other such hashes, its bytes waiting up to LANE_WAIT_MS for theirs — worth it for many long
 * streams at once (URL pulls: server CPU for 20 × 100 MiB 5.9 → 4.8 s with the WebAssembly
 * kernel, and 0.7 s less again with the native one); not for an
 * upload's parts, whose ends wait on their digests (no gain measured, bench:upload).
 */
export function runningMd5(options: { ringBytes?: number; lanes?: boolean } = {}): RunningMd5 {
  // A multiple of 8, for the aligned copy (see put).
  const ringBytes = Math.max(8, Math.ceil((options.ringBytes ?? RING_BYTES) / 8) * 8);
  if (sharedRingBytes + ringBytes > MAX_SHARED_RING_BYTES) return new CallerHash();
  const worker = pickWorker();
  const hash = new WorkerHash(worker);
  return hash.start(ringBytes, options.lanes ?? false) ? hash : new CallerHash();
}

/**
 * The least busy live worker, a new one while the pool is not full. Workers whose kernel is not
 * the one chosen now (the native switch was turned since they started: the server sets it once,
 * before any hash; the tests turn it) take no new hashes; an idle one is terminated, a busy one
 * keeps serving the hashes it has.
 */
function pickWorker(): HashWorker {
  const nativePath = nativeLanes()?.path;
  for (let i = pool.length - 1; i >= 0; i--) {
    const w = pool[i] as HashWorker;
    if (w.failure || w.nativePath !== nativePath) {
      pool.splice(i, 1);
      if (!w.failure && w.load === 0) void w.terminate();
    }
  }
  let worker = pool.length < POOL_SIZE ? undefined : pool.reduce((a, b) => (b.load < a.load ? b : a));
  if (worker === undefined) {
    worker = new HashWorker(nativePath);
    pool.push(worker);
  }
  return worker;
}
