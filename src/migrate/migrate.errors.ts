// Errors of `openvod migrate`. A usage error (bad spec, bad option) stops the run before anything
// is submitted (exit status 2); a `MigrateError` is one item's failure, with a stable code that the
// ledger, the summary and the export carry.

/** A bad source spec or option: nothing was done. */
export class MigrateUsageError extends Error {
  override readonly name = 'MigrateUsageError';
}

/** The ledger is held by another running migrator. */
export class LedgerBusyError extends Error {
  override readonly name = 'LedgerBusyError';
}

/** The codes the migrator itself gives an item (the target's own codes are kept as they come). */
export type MigrateErrorCode =
  | 'Migrate.SizeMismatch' //      the target's size differs from the source's
  | 'Migrate.Md5Mismatch' //       the target's MD5 differs from the source's (or from the bytes pushed)
  | 'Migrate.DurationMismatch' //  the durations differ by more than the tolerance
  | 'Migrate.SourceFailed' //      the source could not give a URL, a stream or a register URL
  | 'Migrate.UnsupportedMethod' // the source cannot feed the chosen method
  | 'Migrate.RegisterFailed' //    RegisterMedia listed the file in FailedFileURLs
  | 'Migrate.TargetFailed' //      the target's video ended in a failed status (UploadFail, TranscodeFail …)
  | 'Migrate.EmptySource' //       the source item has no bytes (skipped)
  | 'Migrate.LostOnTarget'; //     the target no longer knows the job or video

export class MigrateError extends Error {
  override readonly name = 'MigrateError';
  constructor(
    readonly code: MigrateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
