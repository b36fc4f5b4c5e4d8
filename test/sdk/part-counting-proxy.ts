// A loopback proxy in front of the server that records every OSS UploadPart
// (`PUT …?partNumber=N&uploadId=…`) and the status the server answered. With `holdAfter` set,
// once that many parts were acknowledged, further UploadPart requests are held (never
// forwarded), so a test can kill the uploader at a known point without racing it.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PartRecord { partNumber: number; status: number }

export interface PartCountingProxy {
  url: string;
  port: number;
  setTarget(port: number): void;
  /** Every UploadPart answered by the server since the last `reset()`. */
  parts: PartRecord[];
  held: number;
  holdAfter: number | undefined;
  /**
   * Part numbers whose next UploadPart is answered 503 (an OSS XML error) without reaching the
   * server, once each; recorded with status 503.
   */
  failOnce: Set<number>;
  /** Drops held requests and forgets the records. */
  reset(): void;
  /**
   * Resolves once no forwarded UploadPart waits for the server's answer. A part whose body was
   * forwarded whole is answered and recorded even when its client is gone (killed): the server
   * may have stored it, and the record must say so.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startPartCountingProxy(): Promise<PartCountingProxy> {
  let target = 0;
  const heldRequests: ServerResponse[] = [];
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  const settled = (): void => {
    if (--inFlight > 0) return;
    for (const wake of idleWaiters.splice(0)) wake();
  };
  const proxy: PartCountingProxy = {
    url: '', port: 0, parts: [], held: 0, holdAfter: undefined, failOnce: new Set(),
    setTarget: (p) => (target = p),
    reset() {
      for (const res of heldRequests.splice(0)) res.destroy();
      proxy.held = 0;
      proxy.parts = [];
      proxy.holdAfter = undefined;
      proxy.failOnce.clear();
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    close: () => new Promise<void>((resolve) => {
      proxy.reset();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const query = new URL(req.url ?? '/', 'http://proxy').searchParams;
    const partNumber = req.method === 'PUT' && query.has('partNumber') ? Number(query.get('partNumber')) : undefined;
    if (partNumber !== undefined && proxy.holdAfter !== undefined && proxy.parts.filter((p) => p.status === 200).length >= proxy.holdAfter) {
      proxy.held += 1;
      heldRequests.push(res);
      return;
    }
    if (partNumber !== undefined && proxy.failOnce.delete(partNumber)) {
      proxy.parts.push({ partNumber, status: 503 });
      req.resume();
      req.once('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'x-oss-request-id': 'proxy-injected' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected by the test proxy</Message><RequestId>proxy-injected</RequestId></Error>');
      });
      return;
    }
    let done = partNumber === undefined;
    if (!done) inFlight++;
    const finish = (): void => {
      if (done) return;
      done = true;
      settled();
    };
    const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      if (partNumber !== undefined) proxy.parts.push({ partNumber, status: upRes.statusCode ?? 0 });
      finish();
      if (res.destroyed) upRes.resume();
      else {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      }
    });
    up.on('error', () => {
      finish();
      res.destroy();
    });
    up.on('close', finish);
    // A client gone before its body was all forwarded: the server gets a cut body and keeps nothing.
    req.on('aborted', () => up.destroy());
    res.on('close', () => { if (!res.writableFinished && !req.complete) up.destroy(); });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}
