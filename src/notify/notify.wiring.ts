// Builds the callback dispatcher of a worker process: its own SSRF-guarded undici Agent (callback
// URLs pass the same guard as sources: every resolved address checked, the connection pinned to
// it; loopback/private only with OPENVOD_ALLOW_PRIVATE_NETWORKS=1), the poster, the dispatcher.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.js';
import { createGuardedAgent } from '../ingest/ssrf-guard.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/db.js';
import { createCallbackPoster } from './callback-sender.js';
import { createDispatcher } from './dispatcher.js';

export interface RunningCallbacks {
  /** Polls now. */
  wake(): void;
  /** Stops the dispatcher (in-flight callbacks get their timeout to finish), then the agent. Idempotent. */
  close(): Promise<void>;
}

export function startCallbackDispatcher(input: { config: Config; store: Store; log: Logger; processId: string }): RunningCallbacks {
  const settings = input.config.notify;
  const agent = createGuardedAgent({
    allowPrivate: input.config.allowPrivateNetworks,
    connectTimeoutMs: settings.timeoutMs,
    connections: Math.max(4, settings.concurrency),
  });
  const dispatcher = createDispatcher({
    store: input.store,
    post: createCallbackPoster(agent),
    settings,
    dispatcherId: `${input.processId}:${randomBytes(3).toString('hex')}`,
    log: input.log,
  });
  dispatcher.start();
  let closing: Promise<void> | undefined;
  return {
    wake: () => dispatcher.wake(),
    close() {
      closing ??= (async () => {
        try {
          await dispatcher.close();
        } finally {
          await agent.close();
        }
      })();
      return closing;
    },
  };
}
