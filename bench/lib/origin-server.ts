// The loopback origin for bench/ingest: a static file server on node:http, in its own process so
// that serving bytes never competes with the bench's own event loop. It serves the regular files
// of one directory at /<name> with what a real origin (nginx, S3, a CDN) sends and what the
// OpenVOD fetcher uses: Content-Length, a strong ETag, Last-Modified, Accept-Ranges and single
// byte ranges (RFC 9110 §14: 206 + Content-Range, 416 + "bytes */<size>" when unsatisfiable;
// If-Range with a different validator gets the whole file). Run as:
//   node --import tsx bench/lib/origin-server.ts --port <port> --dir <dir>
// It answers GET /healthz with 200, and exits on SIGTERM/SIGINT or when its stdin closes.
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' } } });
if (values.port === undefined || values.dir === undefined) {
  process.stderr.write('usage: origin-server.ts --port <port> --dir <dir>\n');
  process.exit(2);
}
const dir = values.dir;
/** Larger reads than the 64 KiB default: fewer syscalls per byte on loopback. */
const READ_CHUNK_BYTES = 1024 * 1024;

const etagOf = (s: Stats): string => `"${s.ino.toString(16)}-${s.size.toString(16)}-${Math.round(s.mtimeMs).toString(16)}"`;

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`; undefined = ignore the header, null = unsatisfiable. */
function parseRange(header: string, size: number): { start: number; end: number } | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or garbage: send the whole file
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://origin').pathname);
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const name = path.slice(1);
  if (name === '' || name.includes('/') || name.startsWith('.')) {
    res.writeHead(404).end();
    return;
  }
  let s: Stats;
  try {
    s = await stat(join(dir, name));
  } catch {
    res.writeHead(404).end();
    return;
  }
  if (!s.isFile()) {
    res.writeHead(404).end();
    return;
  }
  const etag = etagOf(s);
  const headers: Record<string, string | number> = {
    'content-type': name.endsWith('.mp4') ? 'video/mp4' : 'application/octet-stream',
    etag,
    'last-modified': s.mtime.toUTCString(),
    'accept-ranges': 'bytes',
  };
  const ifRange = req.headers['if-range'];
  const rangeHeader = req.headers.range;
  const range = rangeHeader !== undefined && (ifRange === undefined || ifRange === etag) ? parseRange(rangeHeader, s.size) : undefined;
  if (range === null) {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${s.size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: s.size - 1 };
  const length = s.size === 0 ? 0 : end - start + 1;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${s.size}`;
  res.writeHead(range ? 206 : 200, { ...headers, 'content-length': length });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(join(dir, name), { start, end, highWaterMark: READ_CHUNK_BYTES }), res);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    // The client went away mid-body (or the file vanished): nothing left to answer.
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1');

let closing = false;
const close = (): void => {
  if (closing) return;
  closing = true;
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', close);
process.once('SIGINT', close);
process.stdin.on('end', close);
process.stdin.resume();
