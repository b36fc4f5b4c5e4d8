// The RPC surface at `/`, exactly where vod.<region>.aliyuncs.com has it: GET or POST, parameters
// merged from the query string and a form body (`+` and `%20` both mean space), `Action`
// dispatch, `Version` 2017-03-21, JSON or XML, Alibaba's error body with its HTTP status.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { ActionTable, ServiceDeps } from './action.js';
import { AccessKeyCache, authenticate } from './authenticate.js';
import { Params } from './params.js';
import { errorBody, render, type ResponseFormat } from './render.js';

export const API_VERSION = '2017-03-21';

export function registerRpcRoutes(app: FastifyInstance, deps: ServiceDeps, actions: ActionTable): void {
  const keys = new AccessKeyCache(1000);
  const hostId = new URL(deps.config.publicUrl).host;

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const requestId = request.id;
    const queryPairs = parsePairs(request.raw.url?.split('?')[1] ?? '');
    const params = new Map<string, string>(queryPairs);
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (rawBody.length > 0 && isForm(request.headers['content-type'])) {
      for (const [k, v] of parsePairs(rawBody.toString('utf8'))) params.set(k, v);
    }
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
      const { key } = await authenticate(deps.store.db, { method: request.method, queryPairs, params, headers: request.headers, distinctHeaders: request.raw.headersDistinct, rawBody }, {
        nowMs,
        windowMs: deps.config.api.timestampWindowMs,
        keys,
      });
      const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!handler) throw new ApiError('InvalidApi.NotFound', `Specified api "${action}" is not found, please check your url and method.`);
      if (key.allowedActions !== null && !key.allowedActions.includes(action)) throw new ApiError('Forbidden.RAM');
      const result = await handler({ deps, requestId, accessKey: key, get log() { return log(); }, nowMs }, new Params(params));
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

function send(reply: FastifyReply, format: ResponseFormat, root: string, body: object, status: number): void {
  const { contentType, payload } = render(format, root, body);
  void reply.code(status).header('content-type', contentType).send(payload);
}

/** application/x-www-form-urlencoded decoding: `+` and `%20` are both a space. */
export function parsePairs(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (text === '') return out;
  for (const [k, v] of new URLSearchParams(text)) out.push([k, v]);
  return out;
}

const isForm = (ct: string | undefined): boolean => ct !== undefined && ct.toLowerCase().startsWith('application/x-www-form-urlencoded');
const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function responseFormat(format: string | undefined, accept: string | undefined): ResponseFormat {
  if (format !== undefined) return format.toUpperCase() === 'XML' ? 'XML' : 'JSON';
  if (accept !== undefined && /xml/i.test(accept) && !/json/i.test(accept)) return 'XML';
  return 'JSON';
}
