// One HTTP GET through an undici dispatcher, with a watchdog per phase instead of a total timeout:
//   connect  — dispatch → request written on a connected socket   (connectTimeoutMs)
//   headers  — request written → response headers                  (headersTimeoutMs)
//   body     — between two body chunks, while we are reading       (stallTimeoutMs)
// The body is a Readable with real backpressure: when its buffer is full the undici controller is
// paused (and the stall clock stops, since the silence is ours); `read()` resumes both.
//
// When the origin side fails mid-body (reset, early close, stall), the bytes that already arrived
// are still good: the body then *ends* after delivering them and `error()` says why it was cut
// short, so the caller can keep every byte before resuming. Only `abort()` (the caller's own
// decision: cancel, a write error) destroys the body at once.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** Response headers, lower-cased names (undici's shape). */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type ExchangePhase = 'connect' | 'headers' | 'body' | 'done';

export interface ExchangeTimeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly stallTimeoutMs: number;
}

export interface ExchangeResponse {
  readonly statusCode: number;
  readonly headers: ResponseHeaders;
  readonly body: Readable;
}

export interface Exchange {
  readonly response: Promise<ExchangeResponse>;
  /** The phase the exchange is in (or was in when it failed). */
  phase(): ExchangePhase;
  /** Body bytes received so far. */
  bodyBytes(): number;
  /** Why the body ended before the response did (check it after the body ends). */
  error(): Error | undefined;
  /** Aborts the exchange (idempotent); the response promise or the body fails with `reason`. */
  abort(reason: Error): void;
}

/** The watchdog fired: nothing happened in `phase` for `timeoutMs`. */
export class ExchangeTimeoutError extends Error {
  readonly code = 'ExchangeTimeout';
  readonly phase: ExchangePhase;
  readonly timeoutMs: number;
  constructor(phase: ExchangePhase, timeoutMs: number) {
    const what = phase === 'connect' ? 'no connection' : phase === 'headers' ? 'no response headers' : 'no body bytes';
    super(`${what} within ${timeoutMs} ms`);
    this.name = 'ExchangeTimeoutError';
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

const BODY_HIGH_WATER_MARK = 1024 * 1024;

export function startExchange(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  timeouts: ExchangeTimeouts,
): Exchange {
  let phase: ExchangePhase = 'connect';
  let controller: Dispatcher.DispatchController | undefined;
  let body: Readable | undefined;
  let ended = false;
  let failure: Error | undefined;
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  let settle: { resolve(r: ExchangeResponse): void; reject(e: Error): void } | undefined;

  const response = new Promise<ExchangeResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may never await `response` once it has given up (abort before headers).
  response.catch(() => {});

  const disarm = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = (ms: number): void => {
    disarm();
    const armedPhase = phase;
    timer = setTimeout(() => cutShort(new ExchangeTimeoutError(armedPhase, ms)), ms);
  };

  /** The origin side failed: deliver what arrived, then end the body; `error()` tells. */
  const cutShort = (reason: Error): void => {
    disarm();
    if (failure || ended) return;
    failure = reason;
    if (settle) {
      settle.reject(reason);
      settle = undefined;
    }
    if (controller && !controller.aborted) controller.abort(reason);
    if (body && !body.destroyed) body.push(null);
  };

  const abort = (reason: Error): void => {
    disarm();
    if (ended) return;
    if (!failure) {
      failure = reason;
      if (settle) {
        settle.reject(reason);
        settle = undefined;
      }
      // Before the request is on a socket there is nothing to abort yet; onRequestStart does it.
      if (controller && !controller.aborted) controller.abort(reason);
    }
    if (body && !body.destroyed) body.destroy(reason);
  };

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(ctrl) {
      controller = ctrl;
      if (failure) {
        ctrl.abort(failure);
        return;
      }
      phase = 'headers';
      arm(timeouts.headersTimeoutMs);
    },
    onResponseStart(ctrl, statusCode, responseHeaders) {
      if (statusCode < 200 || failure) return; // 1xx informational: keep waiting
      phase = 'body';
      arm(timeouts.stallTimeoutMs);
      body = new Readable({
        highWaterMark: BODY_HIGH_WATER_MARK,
        read() {
          if (ended || failure) return;
          arm(timeouts.stallTimeoutMs);
          if (ctrl.paused) ctrl.resume();
        },
        destroy(err, callback) {
          disarm();
          if (!ended && !failure) {
            failure = err ?? new Error('response body destroyed before its end');
            if (!ctrl.aborted) ctrl.abort(failure);
          }
          callback(err);
        },
      });
      settle?.resolve({ statusCode, headers: responseHeaders, body });
      settle = undefined;
    },
    onResponseData(ctrl, chunk) {
      if (!body || failure) return;
      received += chunk.length;
      arm(timeouts.stallTimeoutMs);
      if (!body.push(chunk)) {
        ctrl.pause();
        disarm(); // silence while we are not reading is not the origin's stall
      }
    },
    onResponseEnd() {
      disarm();
      phase = 'done';
      ended = true;
      body?.push(null);
    },
    onResponseError(_ctrl, err) {
      cutShort(err); // a no-op when we aborted it ourselves
    },
  };

  arm(timeouts.connectTimeoutMs);
  try {
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        // Our own watchdog replaces undici's timers (which would also count our backpressure).
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    );
  } catch (err) {
    abort(err instanceof Error ? err : new Error(String(err)));
  }

  return {
    response,
    phase: () => phase,
    bodyBytes: () => received,
    error: () => (ended ? undefined : failure),
    abort,
  };
}
