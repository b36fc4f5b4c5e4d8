// `vod:<endpoint>`: another VOD account (OpenVOD or ApsaraVideo) with its own keys.
//
// Listing: SearchMedia in scroll mode (reference §6: "use ScrollToken … besides PageNo and
// PageSize; each hop reaches at most 100 records ahead"), PageSize 100, oldest first, each answer's
// ScrollToken sent with the next PageNo. Every listed video is then described with
// GetMezzanineInfo (a few at a time, order kept), which gives the file name with its extension,
// the size and the FileMD5 — so items carry md5/size/durationS from the listing on, and the
// runner needs no extra call. A video gone by then is skipped (`ItemVanished` warning); one
// without a source file is yielded `invalid`.
// pull: `sourceUrl()` asks GetMezzanineInfo again for a FileURL signed for `expiresInS`;
// push: `open()` streams such a URL with undici.
// Throttling and 5xx answers and network failures are retried with backoff and jitter.
import type { Readable } from 'node:stream';
import { Agent, interceptors, request } from 'undici';
import { VodApiError, VodRpcClient } from '../../sdk/rpc-client.js';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, PushBody, SourceItem } from '../source.js';
import { SourceItemError } from './source.errors.js';
import type { SourceOptions } from './source-options.js';
import { buildMatch, type Mezzanine, parseMezzanine, parseSearchPage, SEARCH_PAGE_SIZE, searchParams, type SearchedVideo, toItem } from './vod-search.js';

export interface VodSourceConfig {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly match?: string | undefined;
  readonly onWarning?: SourceOptions['onWarning'];
  /** GetMezzanineInfo calls in flight while listing (default 4). */
  readonly describeConcurrency?: number | undefined;
  /** Attempts per call, the first included (default 5). */
  readonly attempts?: number | undefined;
  /** First backoff delay (default 500 ms; doubles, capped at 10 s, with jitter). */
  readonly retryBaseMs?: number | undefined;
  /** Per-call timeout (default 30 s). */
  readonly callTimeoutMs?: number | undefined;
}

/** "AuthTimeout … oss: max 2592000" (§5); the cdn form has no maximum, so the lower one is safe for both. */
const MAX_AUTH_TIMEOUT_S = 2_592_000;
/** Validity of the URL `open()` asks for: the request starts at once, so it need not cover the transfer. */
const OPEN_URL_EXPIRY_S = 3600;

export function createVodSource(spec: string, config: VodSourceConfig): MigrationSource {
  const client = new VodRpcClient({ endpoint: config.endpoint, accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret, method: 'POST' });
  const match = buildMatch(config.match);
  const call = retrying(client, config);
  const agent = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));
  let closed: Promise<void> | undefined;

  const mezzanine = async (videoId: string, authTimeoutS: number, signal?: AbortSignal): Promise<Mezzanine> =>
    parseMezzanine(await call('GetMezzanineInfo', { VideoId: videoId, AuthTimeout: authTimeoutS }, signal));

  const source: MigrationSource = {
    kind: 'vod',
    spec,
    defaultMethod: 'pull',
    methods: ['pull', 'push'],
    async *list(signal?: AbortSignal): AsyncGenerator<SourceItem> {
      const seen = new Set<string>();
      let scrollToken: string | undefined;
      for (let page = 1; ; page++) {
        if (signal?.aborted) return;
        let body: Record<string, unknown>;
        try {
          body = await call('SearchMedia', searchParams({ page, scrollToken, match }), signal);
        } catch (err) {
          if (signal?.aborted) return;
          throw listingError(config.endpoint, err);
        }
        const result = parseSearchPage(body);
        const fresh = result.videos.filter((v) => !seen.has(v.videoId));
        for (const v of fresh) seen.add(v.videoId);
        const described = describeAll(fresh, (v) => describe(v, signal), config.describeConcurrency ?? 4);
        for (;;) {
          let next: IteratorResult<SourceItem | undefined>;
          try {
            next = await described.next();
          } catch (err) {
            if (signal?.aborted) return;
            throw err;
          }
          if (next.done) break;
          if (signal?.aborted) return;
          if (next.value !== undefined) yield next.value;
        }
        if (result.count < SEARCH_PAGE_SIZE) return;
        scrollToken = result.scrollToken ?? scrollToken;
      }
    },
    async sourceUrl(item, { expiresInS, signal }) {
      const authTimeoutS = Math.min(MAX_AUTH_TIMEOUT_S, Math.max(1, Math.ceil(expiresInS)));
      let m: Mezzanine;
      try {
        m = await mezzanine(item.id, authTimeoutS, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        throw itemError(item.id, err);
      }
      if (m.fileUrl === undefined) throw new SourceItemError('Source.NotFound', `${item.id}: the source video has no source file (no FileURL).`);
      return m.fileUrl;
    },
    async open(item: SourceItem, signal?: AbortSignal): Promise<PushBody> {
      const url = await source.sourceUrl!(item, { expiresInS: OPEN_URL_EXPIRY_S, signal });
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, { method: 'GET', dispatcher: agent, signal });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new SourceItemError('Source.Failed', `${item.id}: fetching the source file failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        discard(res.body);
        const code = res.statusCode === 404 || res.statusCode === 410 ? 'Source.NotFound' : res.statusCode === 401 || res.statusCode === 403 ? 'Source.AccessDenied' : 'Source.Failed';
        throw new SourceItemError(code, `${item.id}: the source file answered HTTP ${res.statusCode}.`);
      }
      const length = Number(res.headers['content-length']);
      const encoding = res.headers['content-encoding'];
      const size = Number.isSafeInteger(length) && (encoding === undefined || encoding === 'identity') ? length : item.size;
      return { stream: res.body, size };
    },
    close() {
      closed ??= agent.close();
      return closed;
    },
  };

  /** The listed video as an item, `undefined` when it vanished since the search. */
  async function describe(v: SearchedVideo, signal?: AbortSignal): Promise<SourceItem | undefined> {
    let m: Mezzanine;
    try {
      m = await mezzanine(v.videoId, 60, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (!(err instanceof VodApiError)) throw err;
      if (isAccountError(err)) throw listingError(config.endpoint, err);
      if (err.code === 'InvalidVideo.NotFound') {
        config.onWarning?.({ code: 'ItemVanished', id: v.videoId, message: `${v.videoId}: listed by SearchMedia but gone by the time its file was looked up; skipped.` });
        return undefined;
      }
      const invalid = err.code === 'InvalidFile.NotFound'
        ? { code: 'Source.NotFound', message: `${v.videoId}: the source video has no source file (${err.code}).` }
        : { code: 'Source.Failed', message: `${v.videoId}: GetMezzanineInfo failed: ${err.message}` };
      return { ...toItem(v, {}), invalid };
    }
    const item = toItem(v, m);
    if (m.fileUrl === undefined) return { ...item, invalid: { code: 'Source.NotFound', message: `${v.videoId}: the source video has no source file (no FileURL).` } };
    return item;
  }

  return source;
}

/** Runs `fn` over `inputs` with at most `limit` in flight, yielding results in input order. */
async function* describeAll<T, R>(inputs: readonly T[], fn: (input: T) => Promise<R>, limit: number): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const start = (): void => {
    if (next < inputs.length) {
      const p = fn(inputs[next++] as T);
      p.catch(() => undefined); // observed when awaited below; never an unhandled rejection
      pending.push(p);
    }
  };
  for (let i = 0; i < Math.max(1, limit); i++) start();
  while (pending.length > 0) {
    const result = await (pending.shift() as Promise<R>);
    start();
    yield result;
  }
}

type Call = (action: string, params: Record<string, string | number | undefined>, signal?: AbortSignal) => Promise<Record<string, unknown>>;

function retrying(client: VodRpcClient, config: VodSourceConfig): Call {
  const attempts = Math.max(1, config.attempts ?? 5);
  const baseMs = config.retryBaseMs ?? 500;
  const timeoutMs = config.callTimeoutMs ?? 30_000;
  return async (action, params, signal) => {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const callSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      try {
        return await client.call<Record<string, unknown>>(action, params, { signal: callSignal });
      } catch (err) {
        if (signal?.aborted || attempt >= attempts || !isRetryable(err)) throw err;
      }
      const delayMs = Math.min(10_000, baseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(delayMs, signal);
    }
  };
}

function isRetryable(err: unknown): boolean {
  if (err instanceof VodApiError) return err.code.startsWith('Throttling') || err.code === 'ServiceUnavailable' || err.httpStatus >= 500;
  // fetch's network failures (TypeError "fetch failed") and our per-call timeout.
  return err instanceof TypeError || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

const isAccountError = (err: VodApiError): boolean =>
  err.httpStatus === 401 || /^(InvalidAccessKeyId|SignatureDoesNotMatch|InvalidSecurityToken|Forbidden\.RAM|Forbidden\.AccessKey|Forbidden\.NoPermission)/.test(err.code);

/** Failures the user must fix (keys, permissions, a bad Match) are usage errors. */
function listingError(endpoint: string, err: unknown): Error {
  if (err instanceof VodApiError && (isAccountError(err) || err.code === 'ErrorMatchSyntax' || err.code === 'SortByExceededMax' || err.code.startsWith('InvalidParameter'))) {
    return new MigrateUsageError(`vod:${endpoint}: ${err.message}`, { cause: err });
  }
  if (err instanceof VodApiError && (err.code === 'InvalidApi.NotFound' || err.code.startsWith('InvalidAction'))) {
    return new MigrateUsageError(`vod:${endpoint} does not offer ${err.message.includes('GetMezzanineInfo') ? 'GetMezzanineInfo' : 'SearchMedia'} (${err.message}); is it a VOD endpoint?`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function itemError(videoId: string, err: unknown): SourceItemError {
  if (err instanceof VodApiError) {
    if (err.code === 'InvalidVideo.NotFound' || err.code === 'InvalidFile.NotFound') return new SourceItemError('Source.NotFound', `${videoId}: ${err.message}`, { cause: err });
    if (err.code.startsWith('Forbidden') || isAccountError(err)) return new SourceItemError('Source.AccessDenied', `${videoId}: ${err.message}`, { cause: err });
    return new SourceItemError('Source.Failed', `${videoId}: ${err.message}`, { cause: err });
  }
  return new SourceItemError('Source.Failed', `${videoId}: GetMezzanineInfo failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
