// The RPC surface at `/`, exactly where vod.<region>.aliyuncs.com has it: GET or POST, parameters
// merged from the query string and a form body (`+` and `%20` both mean space), `Action`
// dispatch, `Version` 2017-03-21, JSON or XML, Alibaba's error body with its HTTP status.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessKeyCache } from '../../auth/access-key.cache.js';
import type { AccessKey } from '../../auth/access-key.repository.js';
import { NonceBatcher } from '../../auth/signature-nonce.batcher.js';
import { ApiError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import type { ActionContext, ActionTable, ServiceDeps } from './action.js';
import { consumeNonce, verifySignature } from './authenticate.js';
import { parsePairs, parsePairsInto } from './form-pairs.js';
import { Params } from './params.js';
import { errorBody, render, type ResponseFormat } from './render.js';

export const API_VERSION = '2017-03-21';

/**
 * Point reads that have no side effect at all: they run while their request's nonce is being
 * written, and their answer is sent only if the nonce turns out fresh (a replay gets
 * SignatureNonceUsed, and the read is thrown away). Everything else runs after the write.
 * Only cheap, bounded reads belong here: a replayed request costs one of them.
 */
const READS_BESIDE_NONCE: ReadonlySet<string> = new Set(['GetVideoInfo', 'GetVideoInfos', 'GetPlayInfo', 'GetMezzanineInfo', 'GetURLUploadInfos']);

const ignore = (): void => {};

export function registerRpcRoutes(app: FastifyInstance, deps: ServiceDeps, actions: ActionTable): void {
  const keys = new AccessKeyCache(deps.store.db);
  const windowMs = deps.config.api.timestampWindowMs;
  // A nonce must be remembered at least as long as a timestamp can be accepted: the window on
  // either side of now.
  const nonces = new NonceBatcher((claims, nowMs) => deps.store.nonces.record(claims, nowMs, 2 * windowMs));
  const hostId = new URL(deps.config.publicUrl).host;

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const requestId = request.id;
    const url = request.raw.url ?? '';
    const q = url.indexOf('?');
    const query = q === -1 ? '' : url.slice(q + 1);
    const params = new Map<string, string>();
    parsePairsInto(params, query);
    const rawBody = Buffer.isBuffer(request.body) ? request.body : NO_BODY;
    if (rawBody.length > 0 && isForm(request.headers['content-type'])) parsePairsInto(params, rawBody.toString('utf8'));
    const format = responseFormat(params.get('Format'), request.headers.accept);
    const action = params.get('Action') ?? header(request.headers['x-acs-action']) ?? '';
    // Built only when something is logged: most requests log nothing.
    const log = () => deps.log.child({ component: 'rpc', requestId, action });
    try {
      const version = params.get('Version') ?? header(request.headers['x-acs-version']);
      if (!action) throw new ApiError('MissingParameter', 'The input parameter "Action" that is mandatory for processing this request is not supplied.');
      if (!version) throw new ApiError('MissingParameter', 'The input parameter "Version" that is mandatory for processing this request is not supplied.');
      if (version !== API_VERSION) throw new ApiError('InvalidVersion', `Specified parameter Version "${version}" is not valid; use ${API_VERSION}.`);
      const nowMs = deps.clock();
      const verified = await verifySignature(
        { method: request.method, queryPairs: () => parsePairs(query), params, headers: request.headers, distinctHeaders: () => request.raw.headersDistinct, rawBody },
        { nowMs, windowMs, keys },
      );
      const nonceConsumed = consumeNonce(nonces, verified, nowMs);
      nonceConsumed.catch(ignore); // awaited below on every path; this only keeps an early throw from leaving it unhandled
      const key = verified.key;
      const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
      const allowed = key.allowedActions === null || key.allowedActions.includes(action);
      const ctx: ActionContext = new RequestContext(deps, requestId, key, log, nowMs);
      let result: Record<string, unknown>;
      if (handler !== undefined && allowed && READS_BESIDE_NONCE.has(action)) {
        const reading = handler(ctx, new Params(params));
        reading.catch(ignore); // its failure is reported below, unless the nonce's comes first
        await nonceConsumed;
        result = await reading;
      } else {
        await nonceConsumed;
        if (!handler) throw new ApiError('InvalidApi.NotFound', `Specified api "${action}" is not found, please check your url and method.`);
        if (!allowed) throw new ApiError('Forbidden.RAM');
        result = await handler(ctx, new Params(params));
      }
      send(reply, format, `${action}Response`, { RequestId: requestId, ...result }, 200);
    } catch (err) {
      const apiError = err instanceof ApiError ? err : undefined;
      if (!apiError) log().error({ err }, 'unhandled error in RPC action');
      else log().info({ code: apiError.code }, 'rpc error');
      const e = apiError ?? new ApiError('InternalError');
      send(reply, format, 'Error', errorBody(requestId, hostId, e.code, e.message), e.httpStatus);
    }
  };

  app.get('/', handle);
  app.post('/', handle);
}

const NO_BODY = Buffer.alloc(0);

/** An action's context; its logger (bound to the request) is made only if the action logs. */
class RequestContext implements ActionContext {
  #log: Logger | undefined;

  constructor(
    readonly deps: ServiceDeps,
    readonly requestId: string,
    readonly accessKey: AccessKey,
    private readonly makeLog: () => Logger,
    readonly nowMs: number,
  ) {}

  get log(): Logger {
    this.#log ??= this.makeLog();
    return this.#log;
  }
}

function send(reply: FastifyReply, format: ResponseFormat, root: string, body: object, status: number): void {
  const { contentType, payload } = render(format, root, body);
  void reply.code(status).header('content-type', contentType).send(payload);
}

const isForm = (ct: string | undefined): boolean => ct !== undefined && ct.toLowerCase().startsWith('application/x-www-form-urlencoded');
const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function responseFormat(format: string | undefined, accept: string | undefined): ResponseFormat {
  if (format !== undefined) return format.toUpperCase() === 'XML' ? 'XML' : 'JSON';
  if (accept !== undefined && /xml/i.test(accept) && !/json/i.test(accept)) return 'XML';
  return 'JSON';
}
