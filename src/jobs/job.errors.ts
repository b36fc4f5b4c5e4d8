// Errors of the job queue. Handlers throw `PermanentJobError` (BullMQ's `UnrecoverableError`) to
// skip the remaining attempts; any other error is retried with backoff.

/** Thrown by a handler: the job can never succeed, so it goes straight to `dead`. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PermanentJobError';
  }
}

/** The stored payload does not match the catalog's schema for its kind (never retried). */
export class JobPayloadError extends PermanentJobError {
  readonly kind: string;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(`invalid payload for job kind "${kind}": ${message}`, options);
    this.name = 'JobPayloadError';
    this.kind = kind;
  }
}

/** The worker no longer holds the job's lease (it expired and was reclaimed, or the job was cancelled). */
export class LeaseLostError extends Error {
  readonly jobId: string;
  constructor(jobId: string, options?: { cause?: unknown }) {
    super(`lease on job ${jobId} was lost`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeaseLostError';
    this.jobId = jobId;
  }
}

/** The worker is closing: the reason its running handlers are aborted with. */
export class WorkerClosingError extends Error {
  constructor(workerId: string) {
    super(`worker ${workerId} is closing`);
    this.name = 'WorkerClosingError';
  }
}

/** Start-up check of the handler registry failed (missing, duplicate or unknown kinds). */
export class JobRegistryError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`job registry is invalid: ${problems.join('; ')}`);
    this.name = 'JobRegistryError';
    this.problems = problems;
  }
}

/** Invalid worker or backoff options (every problem reported at once). */
export class JobConfigError extends Error {
  readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[]) {
    super(`invalid ${what}: ${problems.join('; ')}`);
    this.name = 'JobConfigError';
    this.problems = problems;
  }
}

/** Misuse of the worker lifecycle (e.g. `start()` after `close()`). */
export class WorkerStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStateError';
  }
}

/** One or more steps of `close()` failed; every step still ran. `cause` is an AggregateError. */
export class WorkerCloseError extends Error {
  constructor(workerId: string, errors: readonly unknown[]) {
    super(`worker ${workerId} closed with ${errors.length} error(s)`, { cause: new AggregateError(errors) });
    this.name = 'WorkerCloseError';
  }
}

/** `name: message`, followed by the messages of the cause chain; for `jobs.last_error`. */
export function describeError(err: unknown, maxLength = 2000): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const text = parts.join(' <- caused by: ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
