// A proxy in front of a real target that answers the first `n` calls of chosen RPC actions with
// ApsaraVideo's throttling error (HTTP 400, Code Throttling.User) and forwards everything else.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottlingProxy {
  readonly url: string;
  /** Throttled answers given, per action. */
  readonly throttled: Map<string, number>;
  /** Calls forwarded, per action. */
  readonly forwarded: Map<string, number>;
  close(): Promise<void>;
}

export async function startThrottlingProxy(targetUrl: string, throttleFirst: Readonly<Record<string, number>>): Promise<ThrottlingProxy> {
  const throttled = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://proxy');
        const form = new URLSearchParams(req.headers['content-type']?.includes('x-www-form-urlencoded') ? body.toString() : '');
        const action = form.get('Action') ?? url.searchParams.get('Action') ?? '';
        if ((throttled.get(action) ?? 0) < (throttleFirst[action] ?? 0)) {
          bump(throttled, action);
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({
            RequestId: 'proxy', HostId: 'proxy', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.',
          }));
          return;
        }
        bump(forwarded, action);
        const headers: Record<string, string> = {};
        if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
        try {
          const r = await fetch(`${targetUrl}${url.pathname}${url.search}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer()));
        } catch {
          res.writeHead(502).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttled,
    forwarded,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
