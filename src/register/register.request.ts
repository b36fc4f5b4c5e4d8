// Parsing of a RegisterMedia request (reference §4). Pure: a bad request throws ApiError and
// nothing is created. Whether each FileURL names an existing object is checked by the action.
import { ApiError } from '../domain/errors.js';
import { checkDescription, checkTags, checkTitle, checkUrlField, URL_MAX_BYTES } from '../domain/media-fields.js';

export const MAX_REGISTER = 10;

export interface RegisterEntry {
  fileUrl: string;
  title: string;
  description: string;
  tags: string;
  coverUrl: string;
  cateId: number | undefined;
}

const bad = (message: string): ApiError => new ApiError('InvalidParameter', `RegisterMetadatas: ${message}`);

function text(entry: Record<string, unknown>, field: string, i: number): string | undefined {
  const v = entry[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw bad(`entry ${i + 1}: ${field} must be a string.`);
}

export function parseRegisterMetadatas(json: string): RegisterEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw bad('not valid JSON.');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw bad('must be a non-empty JSON array.');
  if (parsed.length > MAX_REGISTER) throw bad(`holds ${parsed.length} entries; at most ${MAX_REGISTER} are accepted per request.`);
  return parsed.map((raw: unknown, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`entry ${i + 1} must be an object.`);
    const entry = raw as Record<string, unknown>;
    const fileUrl = text(entry, 'FileURL', i);
    if (fileUrl === undefined || fileUrl === '') throw bad(`entry ${i + 1} needs a FileURL.`);
    if (Buffer.byteLength(fileUrl) > URL_MAX_BYTES) throw bad(`entry ${i + 1}: FileURL is longer than ${URL_MAX_BYTES} bytes.`);
    const title = text(entry, 'Title', i);
    if (title === undefined || title.trim() === '') throw bad(`entry ${i + 1} needs a Title.`);
    const cate = text(entry, 'CateId', i);
    if (cate !== undefined && !/^\d{1,18}$/.test(cate)) throw bad(`entry ${i + 1}: CateId must be an integer.`);
    return {
      fileUrl,
      title: checkTitle(title),
      description: checkDescription(text(entry, 'Description', i) ?? ''),
      tags: checkTags(text(entry, 'Tags', i) ?? ''),
      coverUrl: checkUrlField('CoverURL', text(entry, 'CoverURL', i) ?? ''),
      cateId: cate === undefined ? undefined : Number(cate),
    };
  });
}
