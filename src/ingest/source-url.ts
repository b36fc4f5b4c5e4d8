// Source URLs: what `fetchToFile` accepts, and how URLs appear in messages. Parsing is WHATWG
// URL parsing, which also normalises the host: `http://2130706433/`, `http://0x7f.1/` and
// `http://017700000001/` all become `127.0.0.1`, `[::ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`,
// so the SSRF guard only ever sees canonical addresses.
import { FetchError } from './fetch-errors.js';

/** Parses a source (or redirect target, relative to `base`) URL; only http and https are accepted. */
export function parseSourceUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (err) {
    throw new FetchError('URLInvalidError', `The URL is malformed: ${JSON.stringify(truncate(text, 200))}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('URLInvalidError', `Only http and https URLs are supported, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new FetchError('URLInvalidError', 'The URL has no host');
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('URLInvalidError', 'Credentials in the URL (user:password@) are not supported');
  }
  url.hash = '';
  return url;
}

/** A URL for messages and logs: origin and path only (query strings often carry signatures). */
export function describeUrl(url: URL): string {
  return truncate(`${url.origin}${url.pathname}`, 300);
}

const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
