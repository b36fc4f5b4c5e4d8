// The entry point every bench shares: parse options (usage errors exit 2), clean up children and
// temp files on SIGINT/SIGTERM (exit 130), give up past a time budget (exit 1), then run and exit
// with the bench's own code (0 PASS or BELOW GOAL, 1 invalid or failed).

export interface BenchEntry<O> {
  /** e.g. `bench/rpc`, used in messages. */
  readonly name: string;
  readonly argv: readonly string[];
  parse(argv: string[]): O;
  isUsageError(err: unknown): boolean;
  /** How long the whole run may take before it is stuck. */
  budgetMs(opts: O): number;
  readonly cleanup: { run(): Promise<void> };
  readonly abort: AbortController;
  main(opts: O): Promise<number>;
}

export async function runBench<O>(entry: BenchEntry<O>): Promise<never> {
  const fail = (err: unknown): number => {
    process.stderr.write(`${entry.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return entry.isUsageError(err) ? 2 : 1;
  };
  const finish = async (code: number): Promise<never> => {
    await entry.cleanup.run();
    process.exit(code);
  };
  let opts: O;
  try {
    opts = entry.parse([...entry.argv]);
  } catch (err) {
    process.exit(fail(err));
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${entry.name}: ${signal}, cleaning up\n`);
      entry.abort.abort();
      void finish(130);
    });
  }
  const budgetMs = entry.budgetMs(opts);
  setTimeout(() => {
    process.stderr.write(`${entry.name}: over its ${Math.round(budgetMs / 1000)} s budget, giving up\n`);
    entry.abort.abort();
    void finish(1);
  }, budgetMs).unref();
  return entry.main(opts).then(finish, (err: unknown) => finish(fail(err)));
}
