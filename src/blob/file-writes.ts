// Streaming a body into a file, shared by the fs blob store and the multipart staging file.
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BlockWriter, openDirect } from './block-writer.js';

/**
 * Writes `body` into the open file at `start` on (through block-writer.ts: 1 MiB writes, past the
 * page cache where the filesystem allows) and fsyncs it. Returns (or throws) only once no write
 * is running any more: `pipeline` rejects as soon as the source fails, while the last block may
 * still be on its way, and a caller that cleans up or lets someone else write the same bytes must
 * not run before it has landed. The handle stays open; `path` names its file, for the direct
 * handle.
 */
export async function writeBodyToFile(
  file: { handle: FileHandle; path: string },
  start: number,
  body: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<void> {
  const direct = await openDirect(file.path);
  const writer = new BlockWriter({ buffered: file.handle, direct }, start);
  let writing: Promise<void> = Promise.resolve();
  const sink = async (source: AsyncIterable<Uint8Array>): Promise<void> => {
    for await (const chunk of source) {
      writing = writer.write([chunk]);
      await writing;
    }
    writing = writer.flush();
    await writing;
  };
  try {
    await (signal ? pipeline(body, sink, { signal }) : pipeline(body, sink));
    await file.handle.sync();
  } finally {
    await writing.catch(() => undefined);
    writer.release();
    await direct?.close().catch(() => undefined);
  }
}
