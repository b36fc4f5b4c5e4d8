// The staging writers of this process (staging-worker.ts): threads started on first use, or — with
// 0 threads — the same code run inline on the calling thread. Each staging file is bound to one
// writer for its life — the least busy one when it opens — so its requests stay in order; a
// thread serves many files. A thread is ref'ed only while it owes a reply, so an idle pool never
// keeps the process alive. A thread that dies fails what it owed and is replaced for the files
// opened after it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StagingReply, StagingRequest } from './staging-protocol.js';
import { serveStaging, stagingOps, type StagingPort, stagingWorkerSource } from './staging-worker.js';

export type StagingOk = Extract<StagingReply, { ok: true }>;
type Failure = Extract<StagingReply, { ok: false }>;

/** A failed request, as the writer thread reported it (`code`: the errno code, when there was one). */
export class StagingWriterError extends Error {
  readonly code: string | undefined;
  /** The file was closed while it was being opened (the open was abandoned, not failed). */
  readonly cancelled: boolean;
  constructor(failure: Pick<Failure, 'message' | 'code' | 'cancelled'>) {
    super(failure.message);
    this.name = 'StagingWriterError';
    this.code = failure.code;
    this.cancelled = failure.cancelled === true;
  }
}

/** Distributive Omit: each request without the fields the channel fills in. */
type Unaddressed<T> = T extends unknown ? Omit<T, 'id' | 'stream'> : never;
export type StagingCall = Unaddressed<StagingRequest>;

/** The requests of one staging file, all to the thread it was bound to. */
export interface StagingChannel {
  request(call: StagingCall): Promise<StagingOk>;
  /** Unbinds the file (after its close). Idempotent. */
  release(): void;
}

export interface StagingPool {
  channel(): StagingChannel;
  /** Terminates the threads (the files they hold are closed by the OS). */
  close(): Promise<void>;
}

interface Pending {
  resolve(reply: StagingOk): void;
  reject(error: Error): void;
}

/** One writer: a thread, or the inline stand-in. */
interface Writer {
  /** Files bound to it. */
  files: number;
  readonly alive: boolean;
  request(stream: number, call: StagingCall): Promise<StagingOk>;
  terminate(): Promise<void>;
}

/** Settles each request with its reply. */
class Replies {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  get owed(): number {
    return this.#pending.size;
  }

  expect(): { id: number; reply: Promise<StagingOk> } {
    const id = this.#nextId++;
    const reply = new Promise<StagingOk>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    return { id, reply };
  }

  settle(reply: StagingReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply);
    else pending.reject(new StagingWriterError(reply));
  }

  failAll(err: Error): void {
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}

/** The writer code on the calling thread: no hand-over between threads at all. */
class InlineWriter implements Writer {
  readonly #replies = new Replies();
  readonly #deliver: (req: StagingRequest) => void;
  files = 0;
  readonly alive = true;

  constructor() {
    let listener: ((req: StagingRequest) => void) | undefined;
    const port: StagingPort = {
      on: (_event, fn) => {
        listener = fn;
      },
      postMessage: (reply) => this.#replies.settle(reply),
    };
    serveStaging(port, stagingOps(fs, crypto));
    this.#deliver = (req) => listener?.(req);
  }

  request(stream: number, call: StagingCall): Promise<StagingOk> {
    const { id, reply } = this.#replies.expect();
    this.#deliver({ ...call, id, stream } as StagingRequest);
    return reply;
  }

  async terminate(): Promise<void> {
    this.#replies.failAll(new Error('the staging writer pool was closed'));
  }
}

class WriterThread implements Writer {
  readonly #worker: Worker;
  readonly #replies = new Replies();
  #dead: Error | undefined;
  /** Files bound to this thread. */
  files = 0;

  constructor(onExit: (thread: WriterThread) => void) {
    this.#worker = new Worker(stagingWorkerSource(), { eval: true, name: 'openvod-staging-writer' });
    this.#worker.unref();
    this.#worker.on('message', (reply: StagingReply) => {
      this.#replies.settle(reply);
      if (this.#replies.owed === 0) this.#worker.unref();
    });
    this.#worker.on('error', (err) => this.#die(err));
    this.#worker.on('exit', (code) => {
      this.#die(new Error(`the staging writer thread exited (code ${code})`));
      onExit(this);
    });
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  request(stream: number, call: StagingCall): Promise<StagingOk> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#replies.owed === 0) this.#worker.ref(); // a reply is owed: keep the process up for it
    const { id, reply } = this.#replies.expect();
    this.#worker.postMessage({ ...call, id, stream } as StagingRequest);
    return reply;
  }

  #die(err: Error): void {
    this.#dead ??= err;
    this.#replies.failAll(this.#dead);
  }

  async terminate(): Promise<void> {
    this.#die(new Error('the staging writer pool was closed'));
    await this.#worker.terminate();
  }
}

/**
 * Threads for `cores`: one per core, 2 to 4. Each file is hashed by one thread (MD5 cannot be
 * split), so it is concurrent downloads that spread over them; two even on a small machine, so a
 * second download's hash need not wait for the first's.
 */
export const defaultStagingThreads = (cores: number = availableParallelism()): number => Math.min(4, Math.max(2, cores));

/** `threads` writer threads, or 0: everything inline on the calling thread. */
export function createStagingPool(threads: number = Number(process.env.STAGING_THREADS ?? defaultStagingThreads())): StagingPool {
  if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`staging writer threads must be an integer >= 0, got ${threads}`);
  const live = new Set<Writer>();
  let nextStream = 1;
  let closed = false;

  const pick = (): Writer => {
    let best: Writer | undefined;
    for (const t of live) if (t.alive && (best === undefined || t.files < best.files)) best = t;
    if (best !== undefined && (best.files === 0 || live.size >= Math.max(1, threads))) return best;
    const fresh: Writer = threads === 0 ? new InlineWriter() : new WriterThread((t) => live.delete(t));
    live.add(fresh);
    return fresh;
  };

  return {
    channel(): StagingChannel {
      if (closed) throw new Error('the staging writer pool is closed');
      const thread = pick();
      const stream = nextStream++;
      thread.files++;
      let released = false;
      return {
        request: (call) => thread.request(stream, call),
        release: () => {
          if (released) return;
          released = true;
          thread.files--;
        },
      };
    },
    async close() {
      closed = true;
      await Promise.all([...live].map((t) => t.terminate()));
      live.clear();
    },
  };
}

let shared: StagingPool | undefined;

/** The process's pool, created on first use. Its threads never keep the process alive when idle. */
export function sharedStagingPool(): StagingPool {
  shared ??= createStagingPool();
  return shared;
}
