// A remote URL opened as a stream with undici (redirects followed, no temporary file).
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { Agent, interceptors, request } from 'undici';
import { UploadError } from './upload.errors.js';

/** Drops a response body we will not read (undici reports the destroy as an error event). */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

export interface UrlSource { body: Readable; size: number | undefined; fileName: string }

const agent = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

export async function openUrlSource(url: string, signal?: AbortSignal, fileNameOverride?: string): Promise<UrlSource> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new UploadError('Upload.InvalidSource', `not a URL: ${url}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UploadError('Upload.InvalidSource', `not an http(s) URL: ${url}`);
  const fileName = fileNameOverride ?? decodeURIComponent(basename(parsed.pathname));
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(parsed, { method: 'GET', dispatcher: agent, signal });
  } catch (cause) {
    if (signal?.aborted) throw new UploadError('Upload.Aborted', 'upload aborted', { cause });
    throw new UploadError('Upload.SourceFailed', `fetching ${parsed.origin}${parsed.pathname} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    discardBody(res.body);
    throw new UploadError('Upload.SourceFailed', `fetching ${parsed.origin}${parsed.pathname} answered HTTP ${res.statusCode}`, { httpStatus: res.statusCode });
  }
  const length = Number(res.headers['content-length']);
  const encoded = res.headers['content-encoding'];
  const size = Number.isSafeInteger(length) && length > 0 && (encoded === undefined || encoded === 'identity') ? length : undefined;
  if (!fileName) {
    discardBody(res.body);
    throw new UploadError('Upload.InvalidSource', `the URL has no file name; pass fileName (e.g. video.mp4)`);
  }
  return { body: res.body, size, fileName };
}
