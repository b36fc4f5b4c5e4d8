// The native eight-lane MD5 kernel (native/md5-lanes.c), where scripts/build-native.js built it
// and this CPU has AVX2: md5-workers.ts hands its path to each hash worker, which runs it in place
// of the four-lane WebAssembly kernel. Off with `nativeMd5: false` (OPENVOD_NATIVE_MD5=0).
import { createRequire } from 'node:module';
import { nativeHelper } from '../native/native-files.js';

export interface NativeLanes {
  /** The addon's path, for a worker thread to load it too. */
  path: string;
  /** The instruction set it chose: 'avx512' (AVX-512VL) or 'avx2'. */
  isa: string;
  /** n 64-byte blocks from each of p0…p7, state at `state` (32 × u32: A's eight lanes, then B's …). */
  lanes: LanesKernel;
  /** The AVX2 kernel, whatever `isa` is (the tests check both). */
  avx2Lanes: LanesKernel;
  /** `source` into `target` at `offset` by memcpy: V8 fills shared memory a byte at a time from a misaligned source. */
  copy(target: Uint8Array, offset: number, source: Uint8Array): void;
}

export type LanesKernel = (memory: Uint8Array, state: number, p0: number, p1: number, p2: number, p3: number, p4: number, p5: number, p6: number, p7: number, n: number) => void;

let enabled = true;
let loaded: NativeLanes | null | undefined;

/** Process-wide switch (config `nativeMd5`); hashes opened after it use the choice. */
export function setNativeMd5(on: boolean): void {
  enabled = on;
}

/** The kernel, loaded on this thread once; undefined when switched off, not built, or no AVX2 here. */
export function nativeLanes(): NativeLanes | undefined {
  if (!enabled) return undefined;
  if (loaded === undefined) {
    loaded = null;
    const path = nativeHelper('md5-lanes.node');
    if (path !== undefined) {
      try {
        const addon = createRequire(import.meta.url)(path) as Partial<NativeLanes>;
        if (typeof addon.lanes === 'function' && typeof addon.avx2Lanes === 'function' && typeof addon.copy === 'function' && typeof addon.isa === 'string') {
          loaded = { path, isa: addon.isa, lanes: addon.lanes, avx2Lanes: addon.avx2Lanes, copy: addon.copy };
        }
      } catch {
        // built for another Node or another machine: the WebAssembly kernel it is
      }
    }
  }
  return loaded ?? undefined;
}
