// A loopback HTTP callback receiver for tests: records every request (raw body, headers, time)
// and answers what the test programs — a status per request, or a hang (no answer at all).
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The parsed body (undefined if it was not JSON). */
  readonly body: Record<string, unknown> | undefined;
  readonly eventId: string | undefined;
  readonly receivedAtMs: number;
  /** What the receiver answered (undefined = it hung). */
  readonly answered: number | undefined;
}

/** The answer to one request: an HTTP status, or 'hang' (accept and never answer). */
export type Answer = number | 'hang';
export type Responder = (request: Omit<ReceivedCallback, 'answered'>, nth: number) => Answer;

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedCallback[];
  /** Every request that carried `eventId`. */
  requestsFor(eventId: string): ReceivedCallback[];
  /** Requests answered 200. */
  delivered(): ReceivedCallback[];
  setResponder(responder: Responder): void;
  close(): Promise<void>;
}

export async function startReceiver(opts: { port?: number; path?: string; respond?: Responder } = {}): Promise<Receiver> {
  let responder: Responder = opts.respond ?? (() => 200);
  const received: ReceivedCallback[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      const request = {
        path: req.url ?? '/', headers: req.headers, rawBody, body,
        eventId: typeof body?.EventId === 'string' ? body.EventId : undefined, receivedAtMs: Date.now(),
      };
      const answer = responder(request, received.length);
      received.push({ ...request, answered: answer === 'hang' ? undefined : answer });
      if (answer === 'hang') {
        hung.push(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'success' : 'error');
    });
  });
  server.keepAliveTimeout = 2_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${opts.path ?? '/callback'}`,
    port,
    received,
    requestsFor: (eventId) => received.filter((r) => r.eventId === eventId),
    delivered: () => received.filter((r) => r.answered === 200),
    setResponder(r) {
      responder = r;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
