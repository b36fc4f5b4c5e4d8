// The playback route: stored bytes over HTTP at /media/<key>, GET and HEAD, single byte ranges
// (206 / 416), ETag with If-None-Match and If-Range, protected by type-A `auth_key` (a missing,
// wrong or expired key gets 403, as the CDN answers).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../api/rpc/action.js';
import { verifyTypeA } from '../domain/url-signing.js';
import { assertValidKey } from '../blob/blob-store.js';
import { contentTypeFor } from './content-type.js';
import type { BlobStore } from '../blob/blob-store.js';
import { MEDIA_ROUTE_PREFIX, STORAGE_ROUTE_PREFIX } from './playback-urls.js';

export function registerPlaybackRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawUrl = request.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const authKey = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)).get('auth_key') ?? undefined;
    const verdict = verifyTypeA({ path, authKey, key: deps.playbackKey, ttlS: deps.config.playback.authTtlS, nowS: Math.floor(deps.clock() / 1000) });
    if (verdict !== 'ok') {
      return reply.code(403).header('x-openvod-error', `denied by req auth: ${verdict}`).type('text/plain').send(`Forbidden: ${verdict} auth_key\n`);
    }
    const target = locate(path);
    if (!target) return reply.code(404).type('text/plain').send('Not Found\n');
    const { blobs, key } = target;
    const info = await blobs.stat(key);
    if (!info) return reply.code(404).type('text/plain').send('Not Found\n');

    const etag = `"${info.etag}"`;
    void reply
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('last-modified', info.lastModified.toUTCString())
      .header('cache-control', 'private, max-age=0')
      .header('content-type', info.contentType ?? contentTypeFor(key));
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();

    const ifRange = request.headers['if-range'];
    const range = parseRange(request.headers.range, Array.isArray(ifRange) ? ifRange[0] : ifRange, etag, info.size);
    if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${info.size}`).send();
    const head = request.method === 'HEAD';
    if (range === undefined) {
      void reply.code(200).header('content-length', info.size);
      return head ? reply.send() : reply.send(await blobs.get(key));
    }
    void reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
      .header('content-length', range.end - range.start + 1);
    return head ? reply.send() : reply.send(await blobs.get(key, range));
  };
  // HEAD is routed explicitly: Fastify's automatic HEAD route would report Content-Length 0.
  app.route({ method: ['GET', 'HEAD'], url: `${MEDIA_ROUTE_PREFIX}*`, handler: serve });
  app.route({ method: ['GET', 'HEAD'], url: `${STORAGE_ROUTE_PREFIX}*`, handler: serve });

  /** The store and key a path names: /media/<key> (OpenVOD's own storage) or /storages/<location>/<key>. */
  function locate(path: string): { blobs: BlobStore; key: string } | undefined {
    try {
      let blobs: BlobStore = deps.blobs;
      let rest: string;
      if (path.startsWith(MEDIA_ROUTE_PREFIX)) {
        rest = path.slice(MEDIA_ROUTE_PREFIX.length);
      } else {
        const afterPrefix = path.slice(STORAGE_ROUTE_PREFIX.length);
        const slash = afterPrefix.indexOf('/');
        if (slash < 0) return undefined;
        const storage = deps.storages.get(decodeURIComponent(afterPrefix.slice(0, slash)));
        if (!storage || storage.builtIn) return undefined;
        blobs = storage.blobs;
        rest = afterPrefix.slice(slash + 1);
      }
      const key = rest.split('/').map(decodeURIComponent).join('/');
      assertValidKey(key);
      return { blobs, key };
    } catch {
      return undefined;
    }
  }
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-`, `-n`. Several ranges or a stale If-Range
 * fall back to the whole object; a range that starts past the end is unsatisfiable.
 */
export function parseRange(
  header: string | undefined,
  ifRange: string | undefined,
  etag: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  if (ifRange !== undefined && ifRange !== etag) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return undefined;
  return { start, end };
}
