// A programmable HTTP origin on loopback for ingest tests (node:http, port 0 unless asked).
// It serves registered buffers, or bytes generated on the fly (for big bodies that must not sit
// in memory), with Content-Length, ETag, Last-Modified and single-range support (206/416,
// If-Range), and injects faults per path. Every request is recorded.
//
// Faults (`fault(path, spec)`) are consumed in registration order; each has `times` (how many
// requests it applies to). One-shot faults (status, reset, close, stall, declareMore, sendMore)
// default to 1; shaping faults (ignoreRange, changeEtag, drip, redirect*, html) to Infinity.
// The first active "answer" fault (status, redirect*, html) decides the response; the others
// modify how the resource is served and combine (e.g. drip + reset).
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface OriginRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  /** Path with the query, as sent. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
}

export interface ServeOptions {
  /** `null` = send no ETag; default: the quoted MD5 of the content. */
  readonly etag?: string | null;
  /** `null` = send no Last-Modified; default: a fixed date. */
  readonly lastModified?: string | null;
  readonly contentType?: string;
  /** Send no Content-Length (chunked transfer encoding) on 200 answers. */
  readonly chunked?: boolean;
}

export type FaultSpec =
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Record<string, string>; readonly body?: string; readonly times?: number }
  /** RST the connection after `afterBytes` body bytes have been written and flushed. */
  | { readonly kind: 'reset'; readonly afterBytes: number; readonly times?: number }
  /** Close the connection cleanly (FIN) after `afterBytes` body bytes, short of Content-Length. */
  | { readonly kind: 'close'; readonly afterBytes: number; readonly times?: number }
  /** Stop writing after `afterBytes` body bytes and keep the connection open. */
  | { readonly kind: 'stall'; readonly afterBytes: number; readonly times?: number }
  /** Declare `extraBytes` more than the body has (Content-Length), send the body, then FIN. */
  | { readonly kind: 'declareMore'; readonly extraBytes: number; readonly times?: number }
  /** Send `extraBytes` more than declared: 206 with a shorter Content-Range span, or 200 with a short Content-Length. */
  | { readonly kind: 'sendMore'; readonly extraBytes: number; readonly times?: number }
  | { readonly kind: 'ignoreRange'; readonly times?: number }
  /** Each request it applies to gets a new ETag (the content stays the same). */
  | { readonly kind: 'changeEtag'; readonly times?: number }
  | { readonly kind: 'drip'; readonly bytesPerTick: number; readonly intervalMs: number; readonly times?: number }
  /** `path` → `path?hop=1` → … → `path?hop=<hops>`, which is served. */
  | { readonly kind: 'redirect'; readonly hops: number; readonly status?: number; readonly times?: number }
  /** `path` ↔ `path?loop=1` forever. */
  | { readonly kind: 'redirectLoop'; readonly status?: number; readonly times?: number }
  | { readonly kind: 'redirectTo'; readonly location: string; readonly status?: number; readonly times?: number }
  /** A 200 text/html page instead of the resource. */
  | { readonly kind: 'html'; readonly times?: number };

export interface OriginStats {
  /** TCP connections accepted. */
  readonly connections: number;
  /** Highest number of requests in progress at once. */
  readonly maxConcurrent: number;
  readonly active: number;
}

export interface Origin {
  readonly port: number;
  readonly host: string;
  url(path: string): string;
  serveBytes(path: string, content: Buffer, opts?: ServeOptions): { etag: string | undefined; md5: string };
  /** Serves `size` deterministic bytes generated on the fly (see `generatedMd5`). */
  serveGenerated(path: string, size: number, opts?: ServeOptions): { etag: string | undefined };
  fault(path: string, spec: FaultSpec): void;
  clearFaults(path?: string): void;
  requests(path?: string): OriginRequest[];
  stats(): OriginStats;
  close(): Promise<void>;
}

export interface OriginOptions {
  readonly host?: string;
  readonly port?: number;
  /** Serve HTTPS with this key/certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

interface Resource {
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly contentType: string;
  readonly chunked: boolean;
  slice(start: number, end: number): Buffer;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
}

const FIXED_DATE = 'Wed, 21 Oct 2015 07:28:00 GMT';
const ONE_SHOT = new Set<FaultSpec['kind']>(['status', 'reset', 'close', 'stall', 'declareMore', 'sendMore']);
const ANSWERS = new Set<FaultSpec['kind']>(['status', 'redirect', 'redirectLoop', 'redirectTo', 'html']);
const CHUNK = 64 * 1024;

// Generated content: a fixed pseudo-random 1 MiB + 7 pattern, repeated.
const PATTERN = ((): Buffer => {
  const out = Buffer.alloc(1024 * 1024 + 7);
  let block = createHash('sha256').update('openvod-origin').digest();
  for (let i = 0; i < out.length; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
})();

function patternSlice(start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  for (let pos = start; pos < end; ) {
    const at = pos % PATTERN.length;
    const n = Math.min(end - pos, PATTERN.length - at);
    PATTERN.copy(out, pos - start, at, at + n);
    pos += n;
  }
  return out;
}

/** The MD5 of `serveGenerated(…, size)` content, computed in chunks. */
export function generatedMd5(size: number, from = 0): string {
  const hash = createHash('md5');
  for (let pos = from; pos < size; pos += 4 * 1024 * 1024) hash.update(patternSlice(pos, Math.min(size, pos + 4 * 1024 * 1024)));
  return hash.digest('hex');
}

/** The first `size` bytes of generated content (for small sizes). */
export const generatedBytes = (size: number): Buffer => patternSlice(0, size);

export const md5Hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startOrigin(options: OriginOptions = {}): Promise<Origin> {
  const host = options.host ?? '127.0.0.1';
  const resources = new Map<string, Resource>();
  const faults = new Map<string, ActiveFault[]>();
  const etagVersions = new Map<string, number>();
  const log: OriginRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let active = 0;
  let maxConcurrent = 0;

  const takeFaults = (path: string): FaultSpec[] => {
    const list = faults.get(path) ?? [];
    const taken: FaultSpec[] = [];
    let answered = false;
    for (const f of list) {
      if (f.remaining <= 0) continue;
      const isAnswer = ANSWERS.has(f.spec.kind);
      if (isAnswer && answered) continue;
      if (isAnswer) answered = true;
      taken.push(f.spec);
    }
    return taken;
  };
  const consume = (path: string, spec: FaultSpec): void => {
    const f = faults.get(path)?.find((x) => x.spec === spec);
    if (f) f.remaining--;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, done: () => void): Promise<void> => {
    const target = req.url ?? '/';
    const parsed = new URL(target, 'http://origin.invalid');
    const path = parsed.pathname;
    log.push({
      method: req.method ?? 'GET', path, target, headers: { ...req.headers },
      range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined,
    });
    const specs = takeFaults(path);
    const answer = specs.find((s) => ANSWERS.has(s.kind));
    if (answer && answerWith(answer, parsed, res)) {
      consume(path, answer);
      return;
    }
    const resource = resources.get(path);
    if (!resource) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const mods = specs.filter((s) => !ANSWERS.has(s.kind));
    for (const m of mods) consume(path, m);
    await serveResource(req, res, path, resource, mods, done);
  };

  /** Returns false when the answer fault does not apply to this particular request. */
  const answerWith = (spec: FaultSpec, url: URL, res: ServerResponse): boolean => {
    switch (spec.kind) {
      case 'status':
        res.writeHead(spec.status, { 'content-type': 'text/plain', ...spec.headers }).end(spec.body ?? `status ${spec.status}`);
        return true;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body><h1>Not a video</h1></body></html>');
        return true;
      case 'redirectTo':
        res.writeHead(spec.status ?? 302, { location: spec.location }).end();
        return true;
      case 'redirectLoop': {
        const next = url.searchParams.has('loop') ? url.pathname : `${url.pathname}?loop=1`;
        res.writeHead(spec.status ?? 302, { location: next }).end();
        return true;
      }
      case 'redirect': {
        const hop = Number(url.searchParams.get('hop') ?? '0');
        if (hop >= spec.hops) return false;
        res.writeHead(spec.status ?? 302, { location: `${url.pathname}?hop=${hop + 1}` }).end();
        return true;
      }
      default:
        return false;
    }
  };

  const serveResource = async (req: IncomingMessage, res: ServerResponse, path: string, resource: Resource, mods: FaultSpec[], done: () => void): Promise<void> => {
    const find = <K extends FaultSpec['kind']>(kind: K): Extract<FaultSpec, { kind: K }> | undefined =>
      mods.find((m): m is Extract<FaultSpec, { kind: K }> => m.kind === kind);
    let etag = resource.etag;
    if (find('changeEtag') && etag !== undefined) {
      const v = (etagVersions.get(path) ?? 0) + 1;
      etagVersions.set(path, v);
      etag = `${etag.slice(0, -1)}-v${v}"`;
    } else if (etag !== undefined && etagVersions.has(path)) {
      etag = `${etag.slice(0, -1)}-v${etagVersions.get(path)}"`;
    }
    const headers: Record<string, string> = { 'content-type': resource.contentType, 'accept-ranges': 'bytes' };
    if (etag !== undefined) headers.etag = etag;
    if (resource.lastModified !== undefined) headers['last-modified'] = resource.lastModified;

    let start = 0;
    let end = resource.size; // exclusive
    let status = 200;
    const range = parseRange(req.headers.range, resource.size);
    const ifRange = req.headers['if-range'];
    const rangeApplies = range !== undefined && !find('ignoreRange') && (ifRange === undefined || ifRange === etag || ifRange === resource.lastModified);
    if (rangeApplies && range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${resource.size}` }).end();
      return;
    }
    if (rangeApplies && range !== 'unsatisfiable') {
      [start, end] = range;
      status = 206;
    }

    const sendMore = find('sendMore');
    if (sendMore && status === 200) {
      // Raw response: the Content-Length is short, the bytes after it are garbage on the wire.
      const socket = req.socket;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${resource.contentType}\r\ncontent-length: ${resource.size - sendMore.extraBytes}\r\n${etag ? `etag: ${etag}\r\n` : ''}connection: close\r\n\r\n`);
      socket.end(resource.slice(0, resource.size));
      return;
    }
    if (status === 206) {
      const declaredEnd = sendMore ? end - sendMore.extraBytes : end;
      headers['content-range'] = `bytes ${start}-${declaredEnd - 1}/${resource.size}`;
      if (!sendMore) headers['content-length'] = String(end - start);
    } else if (!resource.chunked) {
      headers['content-length'] = String(resource.size);
    }
    const declareMore = find('declareMore');
    if (declareMore) headers['content-length'] = String(end - start + declareMore.extraBytes);
    res.writeHead(status, headers);

    const stop = find('reset') ?? find('close') ?? find('stall');
    const limit = stop ? Math.min(end, start + stop.afterBytes) : end;
    const drip = find('drip');
    const ok = await writeBody(res, resource, start, limit, drip);
    if (!ok) return; // the client went away
    if (stop?.kind === 'stall') return; // keep the socket open, write nothing more
    done(); // every byte is out: the request no longer counts as in progress
    if (stop?.kind === 'reset') {
      await sleep(30); // let the bytes reach the client before the RST
      req.socket.resetAndDestroy();
      return;
    }
    if (stop?.kind === 'close' || declareMore) {
      await sleep(30);
      req.socket.end();
      return;
    }
    res.end();
  };

  const writeBody = async (res: ServerResponse, resource: Resource, start: number, end: number, drip: Extract<FaultSpec, { kind: 'drip' }> | undefined): Promise<boolean> => {
    const step = drip ? Math.max(1, drip.bytesPerTick) : CHUNK;
    for (let pos = start; pos < end; pos += step) {
      if (res.destroyed) return false;
      const chunk = resource.slice(pos, Math.min(end, pos + step));
      const flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
      if (res.writableNeedDrain) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      if (drip && pos + step < end) {
        await flushed;
        await sleep(drip.intervalMs);
      }
    }
    if (end > start && !res.destroyed) await new Promise<void>((resolve) => res.write(Buffer.alloc(0), () => resolve()));
    return !res.destroyed;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    active++;
    maxConcurrent = Math.max(maxConcurrent, active);
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      active--;
      // A keep-alive socket serves many requests: each takes its listener off again.
      req.socket.off('close', done);
    };
    res.once('finish', done);
    res.once('close', done);
    req.socket.once('close', done);
    handle(req, res, done).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  };

  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : createHttpServer(onRequest);
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  const register = (path: string, r: Resource): void => {
    resources.set(path, r);
    etagVersions.delete(path);
  };

  return {
    port,
    host,
    url: (path) => `${base}${path}`,
    serveBytes(path, content, opts = {}) {
      const md5 = md5Hex(content);
      const etag = opts.etag === null ? undefined : (opts.etag ?? `"${md5}"`);
      register(path, {
        size: content.length, etag, lastModified: opts.lastModified === null ? undefined : (opts.lastModified ?? FIXED_DATE),
        contentType: opts.contentType ?? 'video/mp4', chunked: opts.chunked ?? false,
        slice: (s, e) => content.subarray(s, e),
      });
      return { etag, md5 };
    },
    serveGenerated(path, size, opts = {}) {
      const etag = opts.etag === null ? undefined : (opts.etag ?? `"generated-${size}"`);
      register(path, {
        size, etag, lastModified: opts.lastModified === null ? undefined : (opts.lastModified ?? FIXED_DATE),
        contentType: opts.contentType ?? 'video/mp4', chunked: opts.chunked ?? false,
        slice: patternSlice,
      });
      return { etag };
    },
    fault(path, spec) {
      const list = faults.get(path) ?? [];
      list.push({ spec, remaining: spec.times ?? (ONE_SHOT.has(spec.kind) ? 1 : Number.POSITIVE_INFINITY) });
      faults.set(path, list);
    },
    clearFaults(path) {
      if (path === undefined) faults.clear();
      else faults.delete(path);
    },
    requests: (path) => log.filter((r) => path === undefined || r.path === path),
    stats: () => ({ connections, maxConcurrent, active }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A single `bytes=` range as [start, endExclusive], 'unsatisfiable', or undefined (absent/ignored). */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multiple or malformed ranges: serve 200
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size];
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  if (end <= start) return undefined;
  return [start, end];
}
