// Shared bits of the callback end-to-end tests: a config file with short retry timings, a client,
// and polling reads of the delivery log (no timed assertions: generous deadlines only).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';
import type { DeliveryView } from '../../src/notify/delivery-log.service.js';
import { startTestServer, type StartOptions, type TestServer, waitFor } from '../helpers/server.js';

export interface NotifyTimings {
  pollMs?: number;
  leaseMs?: number;
  timeoutMs?: number;
  retryDelaysMs?: number[];
  backoffBaseMs?: number;
  backoffCapMs?: number;
  retryHorizonMs?: number;
}

export const FAST: NotifyTimings = {
  pollMs: 50, leaseMs: 3_000, timeoutMs: 2_000, retryDelaysMs: [100, 200], backoffBaseMs: 300, backoffCapMs: 1_000, retryHorizonMs: 300_000,
};

/** A --config file holding the notify section. */
export function notifyConfigFile(timings: NotifyTimings = FAST): string {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-notify-config-'));
  const file = join(dir, 'openvod.json');
  writeFileSync(file, JSON.stringify({ notify: timings }));
  return file;
}

/** A server that may call loopback receivers, with short retry timings. */
export function startNotifyServer(opts: StartOptions & { timings?: NotifyTimings; role?: 'api' | 'all' } = {}): Promise<TestServer> {
  return startTestServer({
    ...opts,
    env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', ...opts.env },
    args: ['--config', notifyConfigFile(opts.timings), ...(opts.role ? ['--role', opts.role] : []), ...(opts.args ?? [])],
  });
}

export { clientFor } from '../helpers/server.js';

export async function deliveries(vod: VodRpcClient, filter: Record<string, string>): Promise<DeliveryView[]> {
  const r = await vod.call<{ DeliveryList: DeliveryView[]; Total: number }>('ListEventDeliveries', { PageSize: 100, SortBy: 'CreationTime:Asc', ...filter });
  return r.DeliveryList;
}

/** Waits until `count` deliveries match the filter and all satisfy `done`. */
export async function waitForDeliveries(
  vod: VodRpcClient,
  filter: Record<string, string>,
  count: number,
  done: (d: DeliveryView) => boolean = (d) => d.Status === 'delivered',
  timeoutMs = 60_000,
): Promise<DeliveryView[]> {
  let last: DeliveryView[] = [];
  await waitFor(async () => {
    last = await deliveries(vod, filter);
    return last.length === count && last.every(done);
  }, timeoutMs, () => `deliveries did not settle: ${JSON.stringify(last.map((d) => [d.EventType, d.Status, d.Attempts, d.LastError]))}`);
  return last;
}

export { waitFor };
