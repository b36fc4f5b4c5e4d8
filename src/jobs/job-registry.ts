// Handlers register in one place: the list a process passes to `createJobRegistry`, which checks
// it against the catalog at start-up (every served kind has exactly one handler, nothing unknown).
import { JOB_CATALOG, JOB_KINDS, type JobKind, type JobKindSpec, type JobPayloads } from './job-catalog.js';
import type { JobLogger } from './job-logger.js';
import { JobPayloadError, JobRegistryError } from './job.errors.js';

export interface JobContext {
  readonly jobId: string;
  readonly kind: JobKind;
  /** 1-based; counts every claim, including ones whose worker died. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the worker closes or the lease is lost; pass it to every long operation. */
  readonly signal: AbortSignal;
  /** Renews the lease now (the worker also does so every `heartbeatMs`); throws `LeaseLostError`. */
  heartbeat(): Promise<void>;
  /** Carries jobId, kind and attempt. */
  readonly log: JobLogger;
}

/**
 * What a handler reports. `retry` spends the attempt and schedules another one after `delayMs`
 * (default: the backoff policy), or goes `dead` when attempts are exhausted. A thrown
 * `PermanentJobError` goes `dead` at once; any other thrown error is retried with backoff.
 */
export type JobOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly reason: string; readonly delayMs?: number };

export type JobHandlerFn<K extends JobKind> = (payload: JobPayloads[K], ctx: JobContext) => Promise<JobOutcome>;

export interface JobHandler<K extends JobKind = JobKind> {
  readonly kind: K;
  readonly handle: JobHandlerFn<K>;
  /** Validates a stored payload against the catalog (throws `JobPayloadError`), then calls `handle`. */
  readonly run: (payload: unknown, ctx: JobContext) => Promise<JobOutcome>;
}

/** A handler for some kind of the catalog (a union over the kinds). */
export type AnyJobHandler = { [K in JobKind]: JobHandler<K> }[JobKind];

/** The one way to make a handler: typed by its kind, validating its payload with the catalog schema. */
export function defineJobHandler<K extends JobKind>(kind: K, handle: JobHandlerFn<K>): JobHandler<K> {
  const spec: JobKindSpec<JobPayloads[K]> = JOB_CATALOG[kind];
  return Object.freeze({
    kind,
    handle,
    async run(raw: unknown, ctx: JobContext): Promise<JobOutcome> {
      const parsed = spec.payload.safeParse(raw);
      if (!parsed.success) throw new JobPayloadError(kind, parsed.error.message, { cause: parsed.error });
      return handle(parsed.data, ctx);
    },
  });
}

export interface JobRegistry {
  /** The kinds this registry serves; a worker claims only these. */
  readonly kinds: readonly JobKind[];
  spec<K extends JobKind>(kind: K): JobKindSpec<JobPayloads[K]>;
  /** Validates the payload against the catalog (throws `JobPayloadError`) and runs the handler. */
  run(kind: JobKind, payload: unknown, ctx: JobContext): Promise<JobOutcome>;
}

export interface JobRegistryOptions {
  /**
   * The kinds this process serves; each needs exactly one handler. Defaults to every kind of the
   * catalog — pass a subset for a process dedicated to some kinds (or a test).
   */
  readonly kinds?: readonly JobKind[];
}

export function createJobRegistry(handlers: readonly AnyJobHandler[], options: JobRegistryOptions = {}): JobRegistry {
  const served = options.kinds ?? JOB_KINDS;
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const h of handlers) counts.set(h.kind, (counts.get(h.kind) ?? 0) + 1);
  for (const kind of served) {
    if (!JOB_KINDS.includes(kind)) problems.push(`kind "${kind}" is not in the job catalog`);
  }
  for (const [kind, count] of counts) {
    if (!JOB_KINDS.some((k) => k === kind)) problems.push(`a handler is registered for unknown kind "${kind}"`);
    else if (!served.some((k) => k === kind)) problems.push(`a handler is registered for kind "${kind}", which this registry does not serve`);
    if (count > 1) problems.push(`kind "${kind}" has ${count} handlers`);
  }
  for (const kind of served) {
    if (!counts.has(kind)) problems.push(`kind "${kind}" has no handler`);
  }
  if (problems.length > 0) throw new JobRegistryError(problems);
  const table = new Map<JobKind, AnyJobHandler>(handlers.map((h) => [h.kind, h]));

  return Object.freeze({
    kinds: Object.freeze([...served]),
    spec: <K extends JobKind>(kind: K): JobKindSpec<JobPayloads[K]> => JOB_CATALOG[kind],
    async run(kind: JobKind, payload: unknown, ctx: JobContext): Promise<JobOutcome> {
      const handler = table.get(kind);
      if (handler === undefined) throw new JobRegistryError([`kind "${kind}" has no handler in this registry`]);
      return handler.run(payload, ctx);
    },
  });
}
