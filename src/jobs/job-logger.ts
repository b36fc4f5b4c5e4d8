// The logger the queue writes to: the subset of pino's API it uses, so a pino logger (or a child
// of Fastify's) can be passed as is, and tests can pass `silentJobLogger`.

export type LogFields = Record<string, unknown>;

export interface LogMethod {
  (fields: LogFields, message?: string): void;
  (message: string): void;
}

export interface JobLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child(bindings: LogFields): JobLogger;
}

const noop = (): void => undefined;

/** Discards everything. */
export const silentJobLogger: JobLogger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): JobLogger => silentJobLogger,
});
