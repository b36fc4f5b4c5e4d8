// Small filesystem helpers shared by the fs store's modules.

import { open } from 'node:fs/promises';

/** The `code` of a Node system error (`ENOENT`, …), if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** Makes a rename/unlink inside `dir` durable. Filesystems that can't fsync a directory are skipped. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}
