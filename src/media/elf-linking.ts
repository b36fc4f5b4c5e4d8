// How an executable is linked, read from its ELF headers: a static binary has no program
// interpreter (PT_INTERP), a dynamically linked one names its dynamic linker there.
import { closeSync, openSync, readSync } from 'node:fs';

/** `other`: not a little-endian ELF file, or unreadable. */
export type ElfLinking = 'static' | 'dynamic' | 'other';

const known = new Map<string, ElfLinking>();

/** Memoised per path. */
export function elfLinking(path: string): ElfLinking {
  let linking = known.get(path);
  if (linking === undefined) known.set(path, (linking = readLinking(path)));
  return linking;
}

function readLinking(path: string): ElfLinking {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 52 || header.readUInt32BE(0) !== 0x7f454c46 || header[5] !== 1) return 'other';
    const is64 = header[4] === 2;
    const phoff = is64 ? Number(header.readBigUInt64LE(32)) : header.readUInt32LE(28);
    const phentsize = header.readUInt16LE(is64 ? 54 : 42);
    const phnum = header.readUInt16LE(is64 ? 56 : 44);
    if (phentsize < 4 || phnum === 0 || phnum > 4096) return 'other';
    const table = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, table, 0, table.length, phoff) !== table.length) return 'other';
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return 'dynamic';
    return 'static';
  } catch {
    return 'other';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
