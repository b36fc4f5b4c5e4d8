// Field rules shared by every operation that writes media metadata (reference §1, §3, §7):
// Title ≤128 bytes, Description ≤1024 bytes, Tags ≤16 comma-separated tags of ≤32 bytes each,
// no emoji in any of them.
import { ApiError } from './errors.js';

export const TITLE_MAX_BYTES = 128;
export const DESCRIPTION_MAX_BYTES = 1024;
export const TAGS_MAX_COUNT = 16;
export const TAG_MAX_BYTES = 32;
export const URL_MAX_BYTES = 1024;

const EMOJI = /[\p{Extended_Pictographic}\u{1F1E6}-\u{1F1FF}]/u;
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function checkText(field: string, value: string, maxBytes: number): string {
  if (EMOJI.test(value)) throw new ApiError('IllegalCharacters', `The ${field} contains illegal characters such as emoji.`);
  if (bytes(value) > maxBytes) throw new ApiError('LengthExceededMax', `The ${field} exceeds the maximum length of ${maxBytes} bytes.`);
  return value;
}

export function checkTitle(value: string, field = 'Title'): string {
  if (value.trim() === '') throw new ApiError('InvalidParameter', `The specified parameter "${field}" must not be empty.`);
  return checkText(field, value, TITLE_MAX_BYTES);
}

export const checkDescription = (value: string): string => checkText('Description', value, DESCRIPTION_MAX_BYTES);

/** Normalises a comma-separated tag list (trimmed, empties dropped) and enforces the limits. */
export function checkTags(value: string): string {
  const tags = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tags.length > TAGS_MAX_COUNT) throw new ApiError('TagsExceededMax', `The number of tags (${tags.length}) exceeded the maximum of ${TAGS_MAX_COUNT}.`);
  for (const tag of tags) checkText('tag', tag, TAG_MAX_BYTES);
  return tags.join(',');
}

export function checkUrlField(field: string, value: string): string {
  if (bytes(value) > URL_MAX_BYTES) throw new ApiError('LengthExceededMax', `The ${field} exceeds the maximum length of ${URL_MAX_BYTES} bytes.`);
  if (value !== '' && !/^https?:\/\/\S+$/i.test(value)) throw new ApiError('InvalidParameter', `The specified parameter "${field}" must be an http(s) URL.`);
  return value;
}
