// Small primitives of the poll loops (job worker, callback dispatcher).

/** True if `p` settled within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A single-waiter wake-up: `wait(ms)` resolves after `ms` or at the next `wake()`, whichever is first. */
export function createWaker() {
  let pending = false;
  let release: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    const r = release;
    release = undefined;
    r?.();
  };
  return {
    wake(): void {
      if (release) fire();
      else pending = true;
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        release = resolve;
        timer = setTimeout(fire, ms);
      });
    },
    dispose(): void {
      fire();
    },
  };
}
