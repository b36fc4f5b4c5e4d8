import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { newRequestId } from '../domain/ids.js';
import { lazyChildLogger } from './lazy-logger.js';
import { errorBody } from './rpc/render.js';
import type { ActionTable, ServiceDeps } from './rpc/action.js';
import { registerRpcRoutes } from './rpc/rpc.route.js';

export interface AppOptions {
  deps: ServiceDeps;
  actions: ActionTable;
  /** Extra route groups (playback, uploads …) registered beside the RPC surface. */
  routes?: ReadonlyArray<(app: FastifyInstance, deps: ServiceDeps) => void>;
  isReady: () => boolean;
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    // Per-request access logs are off (every API log line carries the RequestId instead).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // The request's child logger (bound to its requestId) is built only if the request logs.
    childLoggerFactory: lazyChildLogger,
    genReqId: () => newRequestId(),
    bodyLimit: opts.deps.config.api.maxBodyBytes,
    // Query strings are parsed by the RPC route itself (it needs the raw pairs for V3).
    querystringParser: () => ({}),
  });
  // Bodies are kept raw: V3 signs the body's hash, and the RPC route decodes forms itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Errors raised before an RPC handler runs (body too large, unreadable body) still get
  // Alibaba's error body.
  const hostId = new URL(opts.deps.config.publicUrl).host;
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    const e =
      status === 413 ? new ApiError('RequestEntityTooLarge', `The request body exceeds ${opts.deps.config.api.maxBodyBytes} bytes.`)
      : status < 500 ? new ApiError('InvalidParameter', err.message)
      : new ApiError('InternalError');
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(e.httpStatus).header('content-type', 'application/json;charset=utf-8').send(JSON.stringify(errorBody(request.id, hostId, e.code, e.message)));
  });

  app.get('/healthz', async (_req, reply) => {
    if (!opts.isReady()) return reply.code(503).send({ status: 'starting' });
    return { status: 'ok' };
  });
  registerRpcRoutes(app, opts.deps, opts.actions);
  for (const register of opts.routes ?? []) register(app, opts.deps);
  return app;
}
