import { defineJobHandler } from './job-registry.js';

/** `test.sleep`: sleeps abortably; a smoke check that a deployment's workers claim and finish jobs. */
export const sleepJobHandler = defineJobHandler('test.sleep', async (payload, ctx) => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, payload.ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted'));
    }, { once: true });
  });
  return { kind: 'done' };
});
