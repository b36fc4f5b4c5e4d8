// Errors thrown by the media adapters (ffprobe, ffmpeg). The codes are stable: callers (ingest,
// the analysis and snapshot jobs) branch on `code`, never on messages. These are media errors, not
// API errors: the job/edge layer decides what they mean on the wire (e.g. VideoAnalysisComplete
// `Status: "fail"`).

/**
 * - `InvalidMediaFile` — ffprobe rejected the input, its output was unusable, or the file has no
 *   audio or video stream. Retrying will not help.
 * - `ProbeTimeout` — ffprobe ran past `timeoutMs` and was killed.
 * - `Cancelled` — the caller's AbortSignal fired; ffprobe was killed.
 * - `ProbeFailed` — ffprobe could not be run at all (missing binary, spawn error): an operator
 *   problem, not the file's.
 * - `ProbeCrashed` — ffprobe was killed by a signal nobody here sent (SIGSEGV, SIGABRT, the
 *   kernel's OOM killer's SIGKILL). Not a verdict on the file: a crash can be a bug of that build,
 *   a shortage of memory, or an operator's kill, so it is retried like the two above.
 */
export type MediaProbeErrorCode = 'InvalidMediaFile' | 'ProbeTimeout' | 'Cancelled' | 'ProbeFailed' | 'ProbeCrashed';

export class MediaProbeError extends Error {
  readonly code: MediaProbeErrorCode;

  constructor(code: MediaProbeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaProbeError';
    this.code = code;
  }
}

/**
 * - `SnapshotFailed` — ffmpeg failed or wrote no frame (also after the retry at t=0), or could
 *   not be run at all.
 * - `SnapshotTimeout` — ffmpeg ran past `timeoutMs` and was killed.
 * - `Cancelled` — the caller's AbortSignal fired; ffmpeg was killed.
 */
export type SnapshotErrorCode = 'SnapshotFailed' | 'SnapshotTimeout' | 'Cancelled';

export class SnapshotError extends Error {
  readonly code: SnapshotErrorCode;

  constructor(code: SnapshotErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnapshotError';
    this.code = code;
  }
}
