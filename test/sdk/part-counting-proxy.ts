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
  /** Drops held requests and forgets the records. */
  reset(): void;
  close(): Promise<void>;
}

export async function startPartCountingProxy(): Promise<PartCountingProxy> {
  let target = 0;
  const heldRequests: ServerResponse[] = [];
  const proxy: PartCountingProxy = {
    url: '', port: 0, parts: [], held: 0, holdAfter: undefined,
    setTarget: (p) => (target = p),
    reset() {
      for (const res of heldRequests.splice(0)) res.destroy();
      proxy.held = 0;
      proxy.parts = [];
      proxy.holdAfter = undefined;
    },
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
    const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      if (partNumber !== undefined) proxy.parts.push({ partNumber, status: upRes.statusCode ?? 0 });
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.on('aborted', () => up.destroy());
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}
