// Streaming a body into a file, shared by the fs blob store and the multipart staging file.
import type { WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes buffered between a body and its file: bounds memory per write, and makes a file write one syscall per MiB rather than one per network chunk. */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Pipes `source` into `file` and returns (or throws) only once the file is closed. `pipeline`
 * rejects as soon as the source fails, while the stream may still be writing its last chunk; a
 * caller that cleans up or lets someone else write the same bytes must not run before that
 * write has landed.
 */
export async function pipeIntoFile(source: Readable | AsyncIterable<Uint8Array>, file: WriteStream, signal?: AbortSignal): Promise<void> {
  try {
    await (signal ? pipeline(source, file, { signal }) : pipeline(source, file));
  } finally {
    await closed(file);
  }
}

/** Resolves once `stream` has released its file (destroying it if pipeline left it open). */
function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    if (!stream.destroyed) stream.destroy();
  });
}
