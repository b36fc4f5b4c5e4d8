// application/x-www-form-urlencoded decoding (query strings and form bodies), with exactly the
// result of URLSearchParams (WHATWG URL "application/x-www-form-urlencoded parser"):
//   "split on &, skip empty sequences; name/value split at the first =; + → space;
//    percent-decode (an invalid %XX stays as it is); UTF-8 decode (invalid bytes → U+FFFD)".
// Built for the hot path: in ASCII text, a component without % or + is taken as it is, and one
// with them goes through decodeURIComponent, which agrees with the parser whenever it does not
// throw (it throws on an invalid %XX and on bytes that are not UTF-8). Everything else — those
// rare components, and text that is not all ASCII — goes to URLSearchParams itself.

/** Decoded pairs in arrival order (a repeated name appears each time). */
export function parsePairs(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  eachPair(text, (name, value) => void out.push([name, value]));
  return out;
}

/** Decodes into `into`; a repeated name keeps its last value (as `new Map(parsePairs(text))`). */
export function parsePairsInto(into: Map<string, string>, text: string): void {
  eachPair(text, (name, value) => void into.set(name, value));
}

function eachPair(text: string, visit: (name: string, value: string) => void): void {
  // ASCII text has no lone surrogate (which the parser would turn into U+FFFD), so a component
  // without % or + is final as it is.
  const decode = NON_ASCII.test(text) ? decodeSlow : decodeAscii;
  const length = text.length;
  let start = 0;
  while (start < length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = length;
    if (end > start) {
      const eq = text.indexOf('=', start);
      if (eq !== -1 && eq < end) visit(decode(text.slice(start, eq)), decode(text.slice(eq + 1, end)));
      else visit(decode(text.slice(start, end)), '');
    }
    start = end + 1;
  }
}

const NON_ASCII = /[^\x00-\x7f]/;
const PLUS = /\+/g;

function decodeAscii(raw: string): string {
  const plus = raw.includes('+');
  if (!plus && !raw.includes('%')) return raw;
  try {
    return decodeURIComponent(plus ? raw.replace(PLUS, ' ') : raw);
  } catch {
    return decodeSlow(raw); // an invalid %XX, or bytes that are not UTF-8
  }
}

const decodeSlow = (raw: string): string => new URLSearchParams(`v=${raw}`).get('v') ?? '';
