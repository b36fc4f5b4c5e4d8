// `--callback-listen host:port`: an HTTP receiver for the target's event callbacks. Each run sends
// its URL in UserData.MessageCallback; an authentic event (UploadByURLComplete, FileUploadComplete,
// VideoAnalysisComplete … anything naming a JobId or VideoId) makes its item due for a check at
// once. Outcomes still come from the API (GetURLUploadInfos / GetVideoInfos), never from the
// callback body, so a forged or replayed callback can at most cause one extra check; polling goes
// on underneath as the safety net.
//
// Authentication (reference §8, src/notify/callback-auth.ts), when an AuthKey is known:
//   X-VOD-SIGNATURE = md5hex(CallbackURL + "|" + X-VOD-TIMESTAMP + "|" + AuthKey), where
//   CallbackURL is the URL the callback was sent to — the one we put in UserData;
//   and, when OpenVOD adds it, X-OpenVOD-Signature: t=<ts>,v1=hex(HMAC-SHA256(AuthKey, "<t>.<body>")).
// A request failing either check is answered 401 and ignored.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openvodSignature, vodSignature } from '../notify/callback-auth.js';
import { MigrateUsageError } from './migrate.errors.js';
import type { CallbackFeed } from './run/runner.js';

export interface CallbackReceiverOptions {
  /** `host:port` to listen on (port 0 = any free port). */
  readonly listen: string;
  /** The URL the target should call, when it differs from http://<listen>/openvod-migrate/callback (a proxy, NAT). */
  readonly publicUrl?: string | undefined;
  readonly authKey?: string | undefined;
  /** Every request, accepted or not (for the run's report). */
  readonly onReceipt?: (r: { accepted: boolean; eventType?: string | undefined; reason?: string | undefined }) => void;
}

export interface CallbackReceiver extends CallbackFeed {
  /** The AuthKey to check with (e.g. learnt from the target's GetMessageCallback after start). */
  setAuthKey(key: string | undefined): void;
  readonly stats: { received: number; accepted: number; rejected: number };
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
export const CALLBACK_PATH = '/openvod-migrate/callback';

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new MigrateUsageError(`--callback-listen "${text}": expected host:port, e.g. 0.0.0.0:9000`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

const safeEqual = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Whether a request carries a valid signature for `callbackUrl` and `authKey`; the reason when not. */
export function checkCallbackAuth(
  headers: Record<string, string | string[] | undefined>, rawBody: string, callbackUrl: string, authKey: string | undefined,
): string | undefined {
  if (authKey === undefined || authKey === '') return undefined;
  const ts = headers['x-vod-timestamp'];
  const sig = headers['x-vod-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(ts)) return 'missing X-VOD-TIMESTAMP/X-VOD-SIGNATURE';
  if (!safeEqual(sig.toLowerCase(), vodSignature(callbackUrl, Number(ts), authKey))) return 'X-VOD-SIGNATURE does not match';
  const ov = headers['x-openvod-signature'];
  if (typeof ov === 'string') {
    const t = /(?:^|,)t=(\d+)/.exec(ov)?.[1];
    if (t === undefined || !safeEqual(ov, openvodSignature(authKey, Number(t), rawBody))) return 'X-OpenVOD-Signature does not match';
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function startCallbackReceiver(o: CallbackReceiverOptions): Promise<CallbackReceiver> {
  const { host, port } = parseListen(o.listen);
  if (o.publicUrl === undefined && (host === '0.0.0.0' || host === '::')) {
    throw new MigrateUsageError(`--callback-listen ${o.listen} listens on every interface: give --callback-url, the URL the target can reach`);
  }
  let authKey = o.authKey;
  const subscribers = new Set<(ids: { jobId?: string; videoId?: string }) => void>();
  const stats = { received: 0, accepted: 0, rejected: 0 };
  let url = o.publicUrl ?? '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      stats.received++;
      const reject = (status: number, reason: string): void => {
        stats.rejected++;
        o.onReceipt?.({ accepted: false, reason });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
      };
      if (req.method !== 'POST') return reject(405, 'POST only');
      const raw = await readBody(req);
      if (raw === undefined) return reject(413, 'body too large');
      const why = checkCallbackAuth(req.headers, raw, url, authKey);
      if (why !== undefined) return reject(401, why);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return reject(400, 'not JSON');
      }
      const ids = { jobId: str(body.JobId), videoId: str(body.VideoId) ?? str(body.MediaId) };
      stats.accepted++;
      o.onReceipt?.({ accepted: true, eventType: str(body.EventType) });
      if (ids.jobId !== undefined || ids.videoId !== undefined) for (const fn of subscribers) fn(ids);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new MigrateUsageError(`--callback-listen ${o.listen}: ${e.message}`, { cause: e })));
    server.listen(port, host, () => resolve());
  });
  if (url === '') {
    const addr = server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    url = `http://${h}:${addr.port}${CALLBACK_PATH}`;
  }
  let closed = false;
  return {
    get url() {
      return url;
    },
    stats,
    setAuthKey(key) {
      authKey = key;
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
