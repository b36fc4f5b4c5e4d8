// Item-level failures of a source: `sourceUrl()` or `open()` could not produce the item. The
// runner records `code` in the ledger as the item's error code; the listing goes on. (Problems
// with the spec, the options or the structure of a list file are `MigrateUsageError`s instead:
// they stop the run before anything is submitted.)

export type SourceErrorCode =
  /** The object, file or source video no longer exists (or has no source file). */
  | 'Source.NotFound'
  /** The source refused access (credentials, permissions). */
  | 'Source.AccessDenied'
  /** Anything else: network, server errors after retries, an unexpected answer. */
  | 'Source.Failed';

export class SourceItemError extends Error {
  override readonly name = 'SourceItemError';

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
