// Builds a run from checked options: the target (signed RPC + rate limits + retries), the SDK
// uploader (push), the callback receiver (and the AuthKey it checks with), the test crash hooks.
import { createUploader, VodRpcClient, type Uploader } from '../sdk/index.js';
import { DEFAULT_BACKOFF } from '../jobs/backoff.js';
import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver.js';
import type { Emit } from './migrate.events.js';
import type { MigrateConfig } from './migrate.options.js';
import { MigrateUsageError } from './migrate.errors.js';
import type { RunHooks } from './run/run-context.js';
import { createRateLimiter } from './target/rate-limiter.js';
import { createTarget, type Target } from './target/target-client.js';
import { errorMessageOf } from './target/target-errors.js';

/** Attempts per RPC (the first included) for throttling and server errors. */
export const RPC_ATTEMPTS = 8;

export function targetFor(
  endpoint: string, credentials: { accessKeyId: string; accessKeySecret: string },
  limits: { rates: Readonly<Record<string, number>>; defaultRate: number; requestTimeoutMs: number }, emit?: Emit,
): Target {
  const rpc = new VodRpcClient({ endpoint, ...credentials, method: 'POST', timeoutMs: limits.requestTimeoutMs });
  return createTarget({
    rpc,
    limiter: createRateLimiter({ rates: limits.rates, defaultRate: limits.defaultRate }),
    attempts: RPC_ATTEMPTS,
    backoff: { ...DEFAULT_BACKOFF, baseMs: 500, capMs: 30_000 },
    timeoutMs: limits.requestTimeoutMs,
    onRetry: emit ? (r) => emit({ type: 'retry', action: r.action, attempt: r.attempt, delayMs: r.delayMs, code: r.code }) : undefined,
  });
}

export function uploaderFor(config: MigrateConfig): Uploader {
  const creds = config.credentials;
  if (!creds) throw new MigrateUsageError('push needs the target keys');
  return createUploader({ endpoint: config.endpoint, ...creds, partSize: config.partSizeBytes, parallel: 4 });
}

/**
 * Starts the receiver. Its AuthKey: --callback-auth-key, else the target's own (GetMessageCallback,
 * when AuthSwitch is on). A target that sends no callbacks at all (no configuration, or no event
 * types selected — UserData overrides need one) gets a warning: polling carries the run.
 */
export async function startCallbacks(config: MigrateConfig, target: Target, emit: Emit): Promise<CallbackReceiver | undefined> {
  const cb = config.callback;
  if (!cb) return undefined;
  const receiver = await startCallbackReceiver({
    listen: cb.listen, publicUrl: cb.publicUrl, authKey: cb.authKey,
    onReceipt: (r) => emit({ type: 'callback', accepted: r.accepted, eventType: r.eventType, reason: r.reason }),
  });
  try {
    const r = await target.call<{ MessageCallback?: { CallbackURL?: string; EventTypeList?: string; AuthSwitch?: string; AuthKey?: string } }>(
      'GetMessageCallback', { AppId: config.run.placement.appId },
    );
    const mc = r.MessageCallback ?? {};
    if (!mc.CallbackURL || !mc.EventTypeList) {
      emit({ type: 'warning', message: 'the target has no event callback configuration (SetMessageCallback with event types), so it will send no callbacks; polling carries the run' });
    }
    if (cb.authKey === undefined && mc.AuthSwitch === 'on' && mc.AuthKey) receiver.setAuthKey(mc.AuthKey);
    if (cb.authKey === undefined && mc.AuthSwitch === 'on' && !mc.AuthKey) {
      emit({ type: 'warning', message: 'the target signs its callbacks but did not tell its AuthKey: give --callback-auth-key' });
    }
  } catch (e) {
    emit({ type: 'warning', message: `could not read the target's callback configuration (${errorMessageOf(e)}); callbacks are checked with --callback-auth-key only` });
  }
  return receiver;
}

/**
 * OPENVOD_MIGRATE_TEST_CRASH=<point>:<n> kills the process (SIGKILL) at the n-th passage of one
 * of the moments a crash is hardest to survive — for the crash-recovery tests only.
 * Points: after-submit-answer, before-video-recorded, after-video-recorded.
 */
export function crashHooks(spec: string | undefined, kill: () => void): RunHooks {
  const m = /^(after-submit-answer|before-video-recorded|after-video-recorded):(\d+)$/.exec(spec ?? '');
  if (!m) return {};
  const at = Number(m[2]);
  const hook = (n: number): void => {
    if (n === at) kill();
  };
  switch (m[1]) {
    case 'after-submit-answer':
      return { afterSubmitAnswer: hook };
    case 'before-video-recorded':
      return { beforeVideoRecorded: hook };
    default:
      return { afterVideoRecorded: hook };
  }
}
