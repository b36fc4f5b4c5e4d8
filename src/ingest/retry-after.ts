// `Retry-After` (RFC 9110 §10.2.3): either a number of seconds or an HTTP-date.
//   Retry-After = HTTP-date / delay-seconds
// Pure: the clock is a parameter.

/**
 * The delay the origin asks for, in ms (never negative), or undefined when the header is absent
 * or unparseable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : Number.MAX_SAFE_INTEGER;
  }
  // Only accept strings that look like an HTTP-date (IMF-fixdate, RFC 850 or asctime), not
  // whatever else Date.parse would guess at.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
