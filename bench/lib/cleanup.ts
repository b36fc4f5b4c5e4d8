// Teardown steps registered as resources are made and run in reverse, every one of them even when
// another fails, and only once — whether the bench finishes, throws or is interrupted.

export interface Cleanup {
  /** Registers a step; steps run last-registered first. */
  defer(label: string, step: () => Promise<void> | void): void;
  /** Runs every step once; later calls return the same promise. */
  run(): Promise<void>;
}

export function createCleanup(report: (message: string) => void): Cleanup {
  const steps: Array<{ label: string; step: () => Promise<void> | void }> = [];
  let running: Promise<void> | undefined;
  return {
    defer(label, step) {
      steps.push({ label, step });
    },
    run() {
      running ??= (async () => {
        for (const { label, step } of steps.reverse()) {
          try {
            await step();
          } catch (err) {
            report(`cleanup: ${label} failed: ${(err as Error).message}`);
          }
        }
      })();
      return running;
    },
  };
}
