// The messages between a staging file (main thread) and the staging writer thread that owns its
// file descriptor and its MD5 (staging-worker.ts). Every request carries an `id` answered by
// exactly one reply; requests about one stream are handled strictly in the order they were sent.

export type StagingRequest =
  /**
   * Opens (creating) the file, cuts it back to `trustedBytes` (fewer when shorter) and re-hashes
   * what stays. `buffer` is where the sender puts the bytes of each `append` (staging-ring.ts).
   */
  | {
      readonly op: 'open'; readonly id: number; readonly stream: number; readonly path: string;
      readonly trustedBytes: number; readonly syncEveryBytes: number; readonly buffer: SharedArrayBuffer;
    }
  /**
   * Writes `length` bytes of the file's shared buffer, from `offset`, at the end of the file, then
   * hashes them; replies with the new size. The sender leaves those bytes alone until the reply.
   * After a failed append every later one fails too (the file ends at the last good one).
   */
  | { readonly op: 'append'; readonly id: number; readonly stream: number; readonly offset: number; readonly length: number }
  /** Truncates to 0 bytes and starts a new hash. */
  | { readonly op: 'reset'; readonly id: number; readonly stream: number }
  /** Hex MD5 of the bytes held. */
  | { readonly op: 'digest'; readonly id: number; readonly stream: number }
  /** Closes the file (waiting for a sync in flight); stops an `open` still re-hashing. Idempotent. */
  | { readonly op: 'close'; readonly id: number; readonly stream: number };

export type StagingOp = StagingRequest['op'];

export type StagingReply =
  | { readonly id: number; readonly ok: true; readonly bytes: number; readonly md5?: string | undefined }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string | undefined; readonly cancelled?: boolean | undefined };
