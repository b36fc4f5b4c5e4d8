// Parsing and validation of an UploadMediaByURL request (reference §1). Pure: it throws
// ApiError and touches nothing, so a bad request creates nothing.
import { ApiError } from '../domain/errors.js';
import { isMediaExtension, urlBaseName, urlExtension } from '../domain/media-formats.js';
import { checkDescription, checkTags, checkTitle, checkUrlField } from '../domain/media-fields.js';
import { NO_TRANSCODE_GROUP } from '../domain/storage.js';

export const MAX_URLS = 20;
export const MAX_URL_BYTES = 2048;

export interface UploadMetadata {
  title: string;
  description: string;
  tags: string;
  coverUrl: string;
  cateId: number | undefined;
  fileSize: number | undefined;
  fileExtension: string;
  templateGroupId: string;
}

export interface UrlSubmission {
  sourceUrl: string;
  metadata: UploadMetadata;
}

/**
 * "Comma-separated, each URL-encoded before joining; max 20." A URL without a percent-encoded
 * form is accepted as given (decoding is idempotent for plain URLs).
 */
export function parseUploadUrls(text: string): string[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new ApiError('InvalidParameter.UploadURLs', 'UploadURLs holds no URL.');
  if (parts.length > MAX_URLS) throw new ApiError('InvalidParameter.UploadURLs', `UploadURLs holds ${parts.length} URLs; at most ${MAX_URLS} are accepted per request.`);
  return parts.map((part) => {
    let url: string;
    try {
      url = decodeURIComponent(part);
    } catch {
      throw new ApiError('InvalidParameter.UploadURLs', `"${part.slice(0, 200)}" is not a URL-encoded URL.`);
    }
    if (Buffer.byteLength(url) > MAX_URL_BYTES) throw new ApiError('InvalidParameter.UploadURLs', `A URL is longer than ${MAX_URL_BYTES} bytes.`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ApiError('InvalidParameter.UploadURLs', `"${url.slice(0, 200)}" is not a valid URL.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ApiError('InvalidParameter.UploadURLs', `"${url.slice(0, 200)}" is not an http or https URL.`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new ApiError('InvalidParameter.UploadURLs', 'URLs with credentials (user:password@) are not accepted; use a signed URL instead.');
    }
    return url;
  });
}

interface RawMetadata {
  SourceURL?: unknown; Title?: unknown; Description?: unknown; Tags?: unknown; CoverURL?: unknown; CateId?: unknown;
  FileSize?: unknown; FileExtension?: unknown; TemplateGroupId?: unknown; WorkflowId?: unknown;
}

const str = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ApiError('InvalidParameter.UploadMetadatas', `UploadMetadatas.${field} must be a string.`);
};

/** Checks a TemplateGroupId: OpenVOD has no transcoding, so only VOD_NO_TRANSCODE (or none) exists. */
export function checkTemplateGroup(id: string | undefined): string {
  if (id === undefined || id === '') return '';
  if (id !== NO_TRANSCODE_GROUP) {
    throw new ApiError('InvalidTemplateGroupId.NotFound', `The transcode template group "${id}" does not exist; OpenVOD stores originals (${NO_TRANSCODE_GROUP}).`);
  }
  return id;
}

export function checkWorkflow(id: string | undefined): void {
  if (id !== undefined && id !== '') throw new ApiError('InvalidWorkflowId.NotFound', `The workflow "${id}" does not exist; OpenVOD has no workflows.`);
}

/**
 * UploadMetadatas: a JSON array; an entry applies to the URL whose SourceURL it names. An entry
 * naming no submitted URL is refused rather than ignored: it is almost always a typo, and a
 * silently ignored title is worse than an error.
 */
export function buildSubmissions(urls: readonly string[], metadatasJson: string | undefined, topTemplateGroup: string): UrlSubmission[] {
  const byUrl = new Map<string, RawMetadata>();
  if (metadatasJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadatasJson);
    } catch {
      throw new ApiError('InvalidParameter.UploadMetadatas', 'UploadMetadatas is not valid JSON.');
    }
    if (!Array.isArray(parsed)) throw new ApiError('InvalidParameter.UploadMetadatas', 'UploadMetadatas must be a JSON array.');
    if (parsed.length > MAX_URLS) throw new ApiError('InvalidParameter.UploadMetadatas', `UploadMetadatas holds more than ${MAX_URLS} entries.`);
    for (const entry of parsed as unknown[]) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ApiError('InvalidParameter.UploadMetadatas', 'Each UploadMetadatas entry must be an object.');
      const raw = entry as RawMetadata;
      const source = str(raw.SourceURL, 'SourceURL');
      if (source === undefined) throw new ApiError('InvalidParameter.UploadMetadatas', 'Each UploadMetadatas entry needs a SourceURL.');
      const match = urls.find((u) => u === source || safeDecode(source) === u);
      if (match === undefined) throw new ApiError('InvalidParameter.UploadMetadatas', `UploadMetadatas names SourceURL "${source.slice(0, 200)}", which is not in UploadURLs.`);
      byUrl.set(match, raw);
    }
  }
  return urls.map((url) => ({ sourceUrl: url, metadata: metadataFor(url, byUrl.get(url), topTemplateGroup) }));
}

function metadataFor(url: string, raw: RawMetadata | undefined, topTemplateGroup: string): UploadMetadata {
  const parsed = new URL(url);
  const given = str(raw?.FileExtension, 'FileExtension')?.replace(/^\./, '').toLowerCase();
  const fileExtension = given || urlExtension(parsed);
  if (!fileExtension || !isMediaExtension(fileExtension)) {
    throw new ApiError(
      'InvalidFileName.Extension',
      given ? `FileExtension "${given}" is not a supported audio or video format.` : `The URL "${url.slice(0, 200)}" has no audio or video file extension; give FileExtension in UploadMetadatas.`,
    );
  }
  const title = str(raw?.Title, 'Title');
  const cate = str(raw?.CateId, 'CateId');
  if (cate !== undefined && !/^\d{1,18}$/.test(cate)) throw new ApiError('InvalidParameter.UploadMetadatas', 'UploadMetadatas.CateId must be an integer.');
  const size = str(raw?.FileSize, 'FileSize');
  if (size !== undefined && !/^\d{1,15}$/.test(size)) throw new ApiError('InvalidParameter.UploadMetadatas', 'UploadMetadatas.FileSize must be a number of bytes.');
  checkWorkflow(str(raw?.WorkflowId, 'WorkflowId'));
  return {
    // "A URL without UploadMetadatas gets its file name as title."
    title: checkTitle(title ?? defaultTitle(parsed)),
    description: checkDescription(str(raw?.Description, 'Description') ?? ''),
    tags: checkTags(str(raw?.Tags, 'Tags') ?? ''),
    coverUrl: checkUrlField('CoverURL', str(raw?.CoverURL, 'CoverURL') ?? ''),
    cateId: cate === undefined ? undefined : Number(cate),
    fileSize: size === undefined ? undefined : Number(size),
    fileExtension,
    // "Nested UploadMetadata.TemplateGroupId wins over the top-level one."
    templateGroupId: checkTemplateGroup(str(raw?.TemplateGroupId, 'TemplateGroupId') ?? topTemplateGroup),
  };
}

/** The URL's file name, made acceptable as a title (emoji dropped, ≤128 bytes). */
function defaultTitle(url: URL): string {
  const name = truncateBytes(urlBaseName(url).replace(/[\p{Extended_Pictographic}\u{1F1E6}-\u{1F1FF}\u{FE0F}]/gu, '').trim(), 128);
  return name === '' ? url.hostname : name;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function truncateBytes(s: string, max: number): string {
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}
