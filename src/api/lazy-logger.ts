// Fastify gives every request a child logger bound to its request id. Building a pino child costs
// a few microseconds, and most requests never log a line; this one is built on first use.
import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Call = (...args: unknown[]) => void;

class LazyChildLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private logger(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  get level(): string {
    return this.real?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...args: unknown[]): void { (this.logger().fatal as Call)(...args); }
  error(...args: unknown[]): void { (this.logger().error as Call)(...args); }
  warn(...args: unknown[]): void { (this.logger().warn as Call)(...args); }
  info(...args: unknown[]): void { (this.logger().info as Call)(...args); }
  debug(...args: unknown[]): void { (this.logger().debug as Call)(...args); }
  trace(...args: unknown[]): void { (this.logger().trace as Call)(...args); }
  silent(...args: unknown[]): void { (this.logger().silent as Call)(...args); }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

/** For Fastify's `childLoggerFactory`: the request's child logger, built when first used. */
export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}
