// Reads a put() body once: counts, MD5-hashes and limits it on the way, stops promptly when the
// signal fires (even if the body is stuck waiting for data), and remembers whether a failure
// came from the body itself. Shared by every adapter: each one owns only where the bytes go.

import { createHash } from 'node:crypto';
import { BlobAbortedError, BlobTooLargeError } from './blob-errors.js';
import type { BlobBody } from './blob-store.js';

export interface MeteredBody {
  /** The body's bytes; feed this to the sink (e.g. stream.pipeline). */
  readonly chunks: AsyncGenerator<Uint8Array, void, undefined>;
  /** Bytes read so far. */
  readonly size: number;
  /** True once the body ended normally. */
  readonly complete: boolean;
  /** Lowercase hex MD5 of the whole body; only once `complete`. */
  md5Hex(): string;
  /** Whether `error` is the one the body itself raised (to be rethrown unchanged). */
  isBodyError(error: unknown): boolean;
  /** Stops reading and destroys the body, if not finished yet (for failures before reading). */
  abandon(): void;
}

export interface MeterOptions {
  maxBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Throws RangeError for a maxBytes that is not a non-negative safe integer. */
export function assertValidMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
}

export function meterBody(body: BlobBody, opts: MeterOptions = {}): MeteredBody {
  const { maxBytes, signal } = opts;
  const hash = createHash('md5');
  let size = 0;
  let complete = false;
  let settled = false;
  let bodyError: { error: unknown } | undefined;
  let digest: string | undefined;
  const iterator = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();

  const abandon = (): void => {
    if (settled) return;
    settled = true;
    destroyBody(body, iterator);
  };

  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for (;;) {
        let step: IteratorResult<Uint8Array | string>;
        try {
          step = await untilAborted(iterator.next(), signal);
        } catch (error) {
          if (!(error instanceof BlobAbortedError)) bodyError = { error };
          throw error;
        }
        if (step.done === true) {
          complete = true;
          settled = true;
          return;
        }
        const chunk = typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
        size += chunk.byteLength;
        if (maxBytes !== undefined && size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(chunk);
        yield chunk;
      }
    } finally {
      abandon();
    }
  }

  return {
    chunks: chunks(),
    get size() {
      return size;
    },
    get complete() {
      return complete;
    },
    md5Hex() {
      if (!complete) throw new Error('md5Hex() called before the body was read to the end');
      digest ??= hash.digest('hex');
      return digest;
    },
    isBodyError(error) {
      return bodyError !== undefined && bodyError.error === error;
    },
    abandon,
  };
}

/** Resolves like `promise`, or rejects with BlobAbortedError as soon as `signal` fires. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new BlobAbortedError({ cause: signal.reason }));
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener('abort', onAbort, { once: true });
    }
    // Also handles a late rejection of the losing promise, so it never goes unhandled.
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function destroyBody(body: BlobBody, iterator: AsyncIterator<unknown>): void {
  const destroy = (body as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') {
    // A Node stream: destroying also settles a read that is still pending.
    destroy.call(body);
    return;
  }
  // Any other async iterable: ask it to finish, without waiting (it may be stuck).
  iterator.return?.().catch(() => undefined);
}
