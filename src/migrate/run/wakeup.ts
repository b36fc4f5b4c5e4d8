// A nudge between the runner's loops: `wait` returns on the next `notify` (or one that came while
// nobody waited), on the timeout, or when the signal aborts.
export class Wakeup {
  private waiter: (() => void) | undefined;
  private nudged = false;

  notify(): void {
    if (this.waiter) this.waiter();
    else this.nudged = true;
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.nudged || signal?.aborted) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      this.waiter = done;
    });
  }
}
