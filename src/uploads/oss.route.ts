// The upload endpoint: OpenVOD's subset of the OSS object API, in the same Fastify app as the RPC
// surface (docs/uploads.md). Routing never collides with the rest:
//   - `/` (RPC, GET/POST), `/healthz` and `/media/*` (playback) are static routes and win;
//   - every other path, for PUT/POST/DELETE/GET/HEAD/OPTIONS, comes here, and is served only if
//     it is an OSS request (OSS Authorization, an x-oss-* header, an OSS sub-resource, or a CORS
//     preflight) — otherwise it gets the app's ordinary 404.
// This route group has its own body handling: bodies are NOT parsed or buffered (and the RPC
// bodyLimit does not apply); handlers stream `request.raw` into the blob store.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../api/rpc/action.js';
import { OssError } from '../oss/oss-errors.js';
import { addressings, looksLikeOss, operationOf, type OssOperation, parseQuery } from '../oss/oss-request.js';
import { errorXml } from '../oss/oss-xml.js';
import { authenticateOss } from './oss-auth.js';
import {
  abortMultipartUpload, completeMultipartUpload, headObject, initiateMultipartUpload, listUploadParts, type OssAnswer, type OssCall,
  putObject, uploadPart,
} from './oss-object.service.js';
import { findUploadObject } from './upload.repository.js';

const OPERATIONS: Record<OssOperation, (call: OssCall) => Promise<OssAnswer>> = {
  PutObject: putObject,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listUploadParts,
  HeadObject: headObject,
};

// Browser uploads (the VOD JS SDK uses the browser build of ali-oss) need CORS, and the ETag
// exposed, or UploadPart fails with "Please set the etag of expose-headers" (§11).
const CORS_ALLOW_HEADERS = 'authorization, content-type, content-md5, content-length, x-oss-date, x-oss-security-token, x-oss-user-agent, x-oss-content-sha256, x-oss-meta-*, x-oss-hash-crc64ecma, x-oss-callback, x-oss-callback-var';
const CORS_EXPOSE_HEADERS = 'ETag, x-oss-request-id, x-oss-hash-crc64ecma, Content-MD5, x-oss-object-type';

/** x-oss-request-id: 24 uppercase hex characters, as OSS prints it. */
const ossRequestId = (): string => randomBytes(12).toString('hex').toUpperCase();

function flatHeaders(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

export function registerUploadEndpoint(app: FastifyInstance, deps: ServiceDeps): void {
  const log = deps.log.child({ component: 'oss' });

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rawUrl = request.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
    if (!looksLikeOss(request.method, request.headers, query)) return reply.callNotFound();

    const requestId = ossRequestId();
    const origin = request.headers.origin;
    void reply
      .header('x-oss-request-id', requestId)
      .header('server', 'AliyunOSS')
      .header('date', new Date(deps.clock()).toUTCString())
      .header('access-control-allow-origin', origin ?? '*')
      .header('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    if (origin !== undefined) void reply.header('vary', 'Origin');

    if (request.method === 'OPTIONS') {
      return reply
        .code(200)
        .header('access-control-allow-methods', 'PUT, POST, GET, HEAD, DELETE')
        .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? CORS_ALLOW_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    }

    const headers = flatHeaders(request);
    const hostId = (headers.host ?? '').replace(/:\d+$/, '') || new URL(deps.config.publicUrl).hostname;
    let operation: OssOperation | undefined;
    try {
      operation = operationOf(request.method, query, request.headers);
      const addrs = addressings(headers.host, rawPath, deps.config.upload.bucket);
      const auth = await authenticateOss(deps.store.db, {
        method: request.method, addressings: addrs, query, headers, nowMs: deps.clock(), windowMs: deps.config.api.timestampWindowMs,
      });
      const target = await findUploadObject(deps.store.db, auth.key);
      if (!target) throw new OssError('AccessDenied', 'No upload is expected at this address.');
      const answer = await OPERATIONS[operation]({ deps, target, query, headers, body: request.raw });
      for (const [name, value] of Object.entries(answer.headers ?? {})) void reply.header(name, value);
      if (answer.xml !== undefined) {
        return reply.code(answer.status).header('content-type', 'application/xml').send(answer.xml);
      }
      if (request.method !== 'HEAD') void reply.header('content-length', 0);
      return reply.code(answer.status).send();
    } catch (err) {
      const e = err instanceof OssError ? err : new OssError('InternalError', undefined, undefined, { cause: err });
      if (e.code === 'InternalError') log.error({ err, requestId, operation }, 'upload endpoint request failed');
      else log.info({ requestId, operation, code: e.code }, 'upload endpoint refused a request');
      const xml = errorXml({ code: e.code, message: e.message, requestId, hostId, extra: e.extra });
      // A HEAD answer has no body: OSS puts the error document, base64, in x-oss-err (§3.7).
      if (request.method === 'HEAD') return reply.code(e.status).header('x-oss-err', Buffer.from(xml).toString('base64')).send();
      return reply.code(e.status).header('content-type', 'application/xml').send(xml);
    }
  };

  void app.register(async (scope) => {
    // Bodies stay unread here: the operations stream request.raw themselves.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.route({ method: ['PUT', 'POST', 'DELETE', 'GET', 'HEAD', 'OPTIONS'], url: '/*', handler: handle, exposeHeadRoute: false });
  });
}
