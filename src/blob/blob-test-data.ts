// Test data for the blob store suites: deterministic bytes generated on the fly (a 200 MB body
// never exists in memory), bodies that stall or fail on cue, local files, and stream readers.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK_BYTES = 64 * 1024; // a multiple of 4: the generator works in 32-bit words

/** Deterministic pseudo-random bytes (xorshift32), produced one chunk at a time. */
export async function* generatedBytes(seed: number, size: number, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  yield* generatedChunks(seed, size, chunkBytes);
}

/** The same bytes as `generatedBytes(seed, size)`, in one buffer (for small sizes). */
export function generatedBuffer(seed: number, size: number): Buffer {
  return Buffer.concat([...generatedChunks(seed, size, CHUNK_BYTES)]);
}

export function md5OfGenerated(seed: number, size: number): string {
  const hash = createHash('md5');
  for (const chunk of generatedChunks(seed, size, CHUNK_BYTES)) hash.update(chunk);
  return hash.digest('hex');
}

function* generatedChunks(seed: number, size: number, chunkBytes: number): Generator<Buffer> {
  let state = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let offset = 0; offset < size; offset += chunkBytes) {
    const length = Math.min(chunkBytes, size - offset);
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      words[i] = state;
    }
    yield Buffer.from(words.buffer, 0, length);
  }
}

/** Writes `generatedBytes(seed, size)` to a new file at `path`. */
export async function writeGeneratedFile(path: string, seed: number, size: number): Promise<void> {
  await pipeline(Readable.from(generatedBytes(seed, size)), createWriteStream(path, { flags: 'wx' }));
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** MD5 and length of a stream, without keeping it. */
export async function digestStream(stream: AsyncIterable<Uint8Array | string>): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { md5: hash.digest('hex'), size };
}

export async function* bodyOf(...buffers: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* buffers;
}

export interface GatedBody {
  body: AsyncGenerator<Buffer>;
  /** Resolves once the first `splitAt` bytes have been taken and the body is waiting. */
  reached: Promise<void>;
  /** Lets the rest of the bytes through. */
  release(): void;
}

/** `generatedBytes(seed, size)` that stops after `splitAt` bytes until released. */
export function gatedBody(seed: number, size: number, splitAt: number): GatedBody {
  let markReached: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    markReached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* body(): AsyncGenerator<Buffer> {
    const whole = generatedBuffer(seed, size);
    yield whole.subarray(0, splitAt);
    markReached();
    await released;
    yield whole.subarray(splitAt);
  }
  return { body: body(), reached, release };
}

/** A body that yields `bytes` of generated data, then fails with `error`. */
export async function* failingBody(seed: number, bytes: number, error: Error): AsyncGenerator<Buffer> {
  yield* generatedBytes(seed, bytes);
  throw error;
}
