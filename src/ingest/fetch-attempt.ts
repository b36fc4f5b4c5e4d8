// One network-level attempt of a download: follow redirects by hand from the source URL (each hop
// through the SSRF-guarded agent, under a host-limiter slot), then either stream the body onto the
// staging file or learn that the file is already complete. Throws a FetchError on failure.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { classifyTransportError } from './fetch-classify.js';
import { FetchError } from './fetch-errors.js';
import type { FetchLimits } from './fetch-limits.js';
import { planResponse, transferHeaders, type ResponsePlan, type Validator } from './fetch-response.js';
import { hostKey, type HostLimiter } from './host-limiter.js';
import { type ExchangeResponse, startExchange } from './http-exchange.js';
import { describeUrl } from './source-url.js';
import type { StagingFile } from './staging-file.js';

/** What a download has learnt so far; survives from one attempt to the next. */
export interface TransferState {
  validator: Validator;
  total: number | undefined;
  contentType: string | undefined;
  finalUrl: string;
  resumedFromBytes: number;
  restarts: number;
  rangeRequests: number;
  /** Set after a range answer we could not use: the next request asks for the whole resource. */
  rangeDisabled: boolean;
}

export interface AttemptContext {
  readonly source: URL;
  readonly staging: StagingFile;
  readonly signal: AbortSignal;
  readonly limits: Required<FetchLimits>;
  readonly agent: Dispatcher;
  readonly hostLimiter: HostLimiter;
  readonly now: () => number;
  /** Reports the current bytes/total/validator to the caller. */
  readonly progress: () => void;
}

/** complete: the file is whole. partial: a range answer ended before the total (ask for the rest). restart: ask again without Range. */
export type AttemptOutcome = 'complete' | 'partial' | 'restart';

type HopResult = { readonly kind: 'redirect'; readonly to: URL } | { readonly kind: 'done'; readonly outcome: AttemptOutcome };

export const cancelledError = (signal: AbortSignal): FetchError =>
  new FetchError('Cancelled', 'The download was cancelled', { cause: signal.reason });

export async function runAttempt(ctx: AttemptContext, state: TransferState): Promise<AttemptOutcome> {
  let url = ctx.source;
  const visited = new Set([url.href]);
  for (let hops = 0; ; ) {
    const release = await ctx.hostLimiter.acquire(hostKey(url), ctx.signal);
    let hop: HopResult;
    try {
      hop = await requestOnce(ctx, state, url);
    } finally {
      release();
    }
    if (hop.kind === 'done') return hop.outcome;
    hops++;
    if (visited.has(hop.to.href)) {
      throw new FetchError('DownloadFailed.RedirectLoop', `Redirect loop: ${describeUrl(url)} leads back to ${describeUrl(hop.to)} after ${hops} redirect(s)`);
    }
    if (hops > ctx.limits.maxRedirects) {
      throw new FetchError('DownloadFailed.TooManyRedirects', `More than ${ctx.limits.maxRedirects} redirects from ${describeUrl(ctx.source)}`);
    }
    visited.add(hop.to.href);
    url = hop.to;
  }
}

async function requestOnce(ctx: AttemptContext, state: TransferState, url: URL): Promise<HopResult> {
  const { staging, signal } = ctx;
  if (signal.aborted) throw cancelledError(signal);
  if (state.rangeDisabled && staging.bytes() > 0) await startOver(ctx, state);
  const from = staging.bytes();
  if (from > 0) state.rangeRequests++;
  const exchange = startExchange(ctx.agent, url, transferHeaders(from, state.validator), ctx.limits);
  const onAbort = (): void => exchange.abort(cancelledError(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  let expectedLength: number | undefined;
  try {
    const res = await exchange.response;
    const plan = planResponse({
      status: res.statusCode, headers: res.headers, url, requestedFrom: from, stored: state.validator,
      knownTotal: state.total, maxBytes: ctx.limits.maxBytes, nowMs: ctx.now(),
    });
    if (plan.kind !== 'body') {
      res.body.destroy();
      return settle(state, plan);
    }
    expectedLength = plan.length;
    const outcome = await transfer(ctx, state, url, res, plan, exchange.error);
    return { kind: 'done', outcome };
  } catch (err) {
    const error = signal.aborted ? cancelledError(signal) : classifyTransportError(err, {
      url, phase: exchange.phase(), bodyBytes: exchange.bodyBytes(), expectedLength,
    });
    exchange.abort(error);
    // The pipeline rejects without waiting for the sink's last append: let it land (or fail)
    // before anyone reads staging.bytes() to resume from.
    await staging.idle();
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function settle(state: TransferState, plan: Exclude<ResponsePlan, { kind: 'body' }>): HopResult {
  switch (plan.kind) {
    case 'redirect':
      return { kind: 'redirect', to: plan.to };
    case 'fail':
      throw plan.error;
    case 'complete':
      state.total = plan.total;
      return { kind: 'done', outcome: 'complete' };
    case 'restart':
      state.rangeDisabled = true;
      return { kind: 'done', outcome: 'restart' };
  }
}

async function startOver(ctx: AttemptContext, state: TransferState): Promise<void> {
  await ctx.staging.reset();
  state.restarts++;
  state.resumedFromBytes = 0;
  state.total = undefined;
}

async function transfer(
  ctx: AttemptContext,
  state: TransferState,
  url: URL,
  res: ExchangeResponse,
  plan: Extract<ResponsePlan, { kind: 'body' }>,
  cutShortBy: () => Error | undefined,
): Promise<AttemptOutcome> {
  const { staging, limits } = ctx;
  if (!plan.append && staging.bytes() > 0) await startOver(ctx, state);
  state.validator = plan.validator;
  state.total = plan.total ?? (plan.append ? state.total : undefined);
  state.contentType = plan.contentType;
  state.finalUrl = url.href;
  ctx.progress();

  let received = 0;
  const store = (chunks: Buffer[], callback: (error?: Error | null) => void): void => {
    // Nothing more goes to disk once the download is cancelled: the bytes last reported are
    // what the file holds.
    if (ctx.signal.aborted) {
      callback(cancelledError(ctx.signal));
      return;
    }
    let length = 0;
    for (const c of chunks) length += c.length;
    if (plan.length !== undefined && received + length > plan.length) {
      callback(new FetchError('DownloadFailed.LengthMismatch', `${describeUrl(url)} sent more than the ${plan.length} bytes it declared`, { retryable: false }));
      return;
    }
    if (staging.bytes() + length > limits.maxBytes) {
      callback(new FetchError('FileSizeExceeded', `The source ${describeUrl(url)} is larger than the limit of ${limits.maxBytes} bytes`));
      return;
    }
    staging.append(chunks).then(() => {
      received += length;
      ctx.progress();
      callback();
    }, callback);
  };
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write: (chunk: Buffer, _encoding, callback) => store([chunk], callback),
    // Chunks that queued up while a write was in flight go to disk in one pwritev (up to about
    // the high-water mark): far fewer syscalls than one per network chunk, and no copy.
    writev: (entries, callback) => store(entries.map((e) => e.chunk as Buffer), callback),
  });
  await pipeline(res.body, sink);
  // Every byte that arrived is on disk now; if the body was cut short, fail (and resume) from here.
  const cut = cutShortBy();
  if (cut) throw cut;

  if (plan.length !== undefined && received < plan.length) {
    throw new FetchError('DownloadFailed.LengthMismatch', `${describeUrl(url)}: the body ended after ${received} of ${plan.length} declared bytes`);
  }
  const bytes = staging.bytes();
  if (state.total === undefined || bytes === state.total) return 'complete';
  if (bytes < state.total) return 'partial';
  throw new FetchError('DownloadFailed.LengthMismatch', `${describeUrl(url)} sent ${bytes} bytes for a resource of ${state.total}`, { retryable: false });
}
