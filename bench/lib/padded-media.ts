// Large real media without encoding gigabytes: one short faststart MP4 (moov before mdat, made
// once by ffmpeg) followed by an ISO BMFF `free` box that pads it to the size wanted. Demuxers
// skip `free` boxes (ISO/IEC 14496-12 §8.1.2: "the contents of a free-space box are irrelevant
// and may be ignored"), so ffprobe and ffmpeg see the same 2-second clip whatever the padding.
// The padding is written by streaming one reusable buffer, and every buffer-full is stamped with
// the file's salt and its own index, so no two files (or regions of one) hold the same bytes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Box header sizes: 32-bit size + type, or size=1 + type + 64-bit largesize. */
const SMALL_HEADER_BYTES = 8;
const LARGE_HEADER_BYTES = 16;
const MAX_SMALL_BOX_BYTES = 0xffff_ffff;
const CHUNK_BYTES = 4 * 1024 * 1024;

/** The header of a `free` box of `boxBytes` bytes in all (header included). Pure. */
export function freeBoxHeader(boxBytes: number): Buffer {
  if (!Number.isSafeInteger(boxBytes) || boxBytes < SMALL_HEADER_BYTES) throw new RangeError(`a free box needs at least ${SMALL_HEADER_BYTES} bytes, not ${boxBytes}`);
  if (boxBytes <= MAX_SMALL_BOX_BYTES) {
    const header = Buffer.alloc(SMALL_HEADER_BYTES);
    header.writeUInt32BE(boxBytes, 0);
    header.write('free', 4, 'latin1');
    return header;
  }
  const header = Buffer.alloc(LARGE_HEADER_BYTES);
  header.writeUInt32BE(1, 0);
  header.write('free', 4, 'latin1');
  header.writeBigUInt64BE(BigInt(boxBytes), 8);
  return header;
}

/** The `free` box size that brings a `seedBytes` file to `targetBytes`. Pure. */
export function paddingBoxBytes(seedBytes: number, targetBytes: number): number {
  const box = targetBytes - seedBytes;
  // The box size counts its header, 8 or (past 4 GiB) 16 bytes: the file ends at `targetBytes` either way.
  if (box < SMALL_HEADER_BYTES) throw new RangeError(`target ${targetBytes} B leaves no room for a free box after the ${seedBytes} B clip`);
  return box;
}

/** A 2-second 320×240 H.264 + AAC faststart MP4 (a few tens of kB). */
export async function makeSeedMp4(ffmpegPath: string, outPath: string): Promise<Buffer> {
  await run(ffmpegPath, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
    '-movflags', '+faststart', outPath,
  ], { timeout: 60_000 });
  const handle = await open(outPath, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(size);
    await handle.read(buf, 0, size, 0);
    return buf;
  } finally {
    await handle.close();
  }
}

export interface PaddedFileOptions {
  seed: Buffer;
  path: string;
  targetBytes: number;
  /** Distinguishes this file's padding from every other file's. */
  salt: string;
  /** Random filler shared by all files (stamped per chunk); CHUNK_BYTES long. */
  filler: Buffer;
  signal?: AbortSignal | undefined;
}

export const newFiller = (): Buffer => randomBytes(CHUNK_BYTES);

/** Writes seed + free box to exactly `targetBytes`, streaming; returns the size written. */
export async function writePaddedMp4(opts: PaddedFileOptions): Promise<number> {
  const box = paddingBoxBytes(opts.seed.length, opts.targetBytes);
  const header = freeBoxHeader(box);
  const chunk = Buffer.from(opts.filler);
  const stamp = Buffer.from(`openvod-bench ${opts.salt} `, 'latin1');
  const handle = await open(opts.path, 'w');
  try {
    let at = 0;
    const write = async (buf: Buffer, length = buf.length): Promise<void> => {
      let done = 0;
      while (done < length) {
        const { bytesWritten } = await handle.write(buf, done, length - done, at + done);
        done += bytesWritten;
      }
      at += length;
    };
    await write(opts.seed);
    await write(header);
    for (let index = 0; at < opts.targetBytes; index++) {
      opts.signal?.throwIfAborted();
      // Salt + chunk index at the start of every chunk: each chunk of each file is unique.
      stamp.copy(chunk, 0);
      chunk.writeUInt32BE(index, stamp.length);
      await write(chunk, Math.min(chunk.length, opts.targetBytes - at));
    }
  } finally {
    await handle.close();
  }
  const { size } = await stat(opts.path);
  if (size !== opts.targetBytes) throw new Error(`${opts.path}: wrote ${size} bytes, wanted ${opts.targetBytes}`);
  return size;
}
