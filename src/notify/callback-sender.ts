// The one place a callback leaves the process: an HTTP POST through the SSRF-guarded undici Agent.
// Rules (reference §8): JSON body; success is HTTP 200 and nothing else (redirects are not
// followed: a 3xx is a failure); no response within the timeout (5 s) is a failure; the response
// body is ignored (read and discarded, at most 64 KiB, so the connection can be reused).
import { type Dispatcher, request } from 'undici';

const DISCARD_LIMIT_BYTES = 64 * 1024;

export interface CallbackPost {
  readonly url: string;
  /** The stored event body, sent byte for byte. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Aborted when the dispatcher shuts down. */
  readonly signal: AbortSignal;
}

export type PostOutcome =
  | { readonly delivered: true; readonly statusCode: 200 }
  | {
      readonly delivered: false;
      readonly statusCode: number | undefined;
      readonly error: string;
      /** Cut short by shutdown (not a verdict on the receiver). */
      readonly aborted: boolean;
      /** Retrying cannot help: the SSRF guard refused the address (URLBlocked). */
      readonly permanent: boolean;
    };

export type CallbackPoster = (post: CallbackPost) => Promise<PostOutcome>;

export function createCallbackPoster(agent: Dispatcher): CallbackPoster {
  return async (post) => {
    const timeout = AbortSignal.timeout(post.timeoutMs);
    const signal = AbortSignal.any([post.signal, timeout]);
    try {
      const res = await request(post.url, {
        method: 'POST',
        dispatcher: agent,
        body: post.body,
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'OpenVOD-Callback/1', ...post.headers },
        signal,
        headersTimeout: post.timeoutMs,
        bodyTimeout: post.timeoutMs,
      });
      await res.body.dump({ limit: DISCARD_LIMIT_BYTES, signal }).catch(() => undefined);
      if (res.statusCode === 200) return { delivered: true, statusCode: 200 };
      return { delivered: false, statusCode: res.statusCode, error: `HTTP ${res.statusCode} (only 200 counts as delivered)`, aborted: false, permanent: false };
    } catch (err) {
      const failed = { delivered: false, statusCode: undefined, aborted: false, permanent: false } as const;
      if (post.signal.aborted) return { ...failed, error: 'aborted: the dispatcher is shutting down', aborted: true };
      if (timeout.aborted) return { ...failed, error: `no response within ${post.timeoutMs} ms` };
      return { ...failed, error: describe(err), permanent: hasCode(err, 'URLBlocked') };
    }
  };
}

function hasCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? code : err.name}: ${err.message}${cause}`;
}
