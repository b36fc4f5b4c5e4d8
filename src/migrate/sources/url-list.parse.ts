// The `urls:` list file, line by line: format detection, records, and items. Pure (the file is
// read by `url-list.source.ts`).
//
// Three formats:
// - plain text: one URL a line; blank lines and lines starting with `#` are skipped;
// - CSV with a header row: columns named (case-insensitively) SourceURL, Title, Description,
//   Tags, CateId, CoverURL, FileName, FileExtension, FileSize; a `URL` column stands for
//   SourceURL when there is none; every other column is the user's own and kept in `extra`;
// - JSON Lines: one object a line with the same keys (case-insensitive); other keys go to `extra`.
// A structural problem (bad JSON, a CSV row with the wrong number of cells, no URL in a row) is a
// `MigrateUsageError` naming the line. A bad value (a URL that is not http(s), no audio/video
// extension, a CateId that is not a number) makes that one item `invalid`.
import { isMediaExtension } from '../../domain/media-formats.js';
import { MigrateUsageError } from '../migrate.errors.js';
import type { SourceItem } from '../source.js';
import { extensionOf } from './source-filter.js';

export type UrlListFormat = 'text' | 'csv' | 'jsonl';

export const KNOWN_FIELDS = ['SourceURL', 'Title', 'Description', 'Tags', 'CateId', 'CoverURL', 'FileName', 'FileExtension', 'FileSize'] as const;
export type KnownField = (typeof KNOWN_FIELDS)[number];

export interface UrlListRecord {
  /** 1-based line of the file (for CSV: the line the record ends on). */
  readonly line: number;
  readonly fields: Partial<Record<KnownField, string>>;
  readonly extra: Record<string, string>;
}

/** "UploadURLs: … max 2048 bytes" (reference §1): longer URLs are refused by the target. */
export const MAX_URL_BYTES = 2048;

const BOM = '\uFEFF';
export const stripBom = (line: string): string => (line.startsWith(BOM) ? line.slice(1) : line);

/** A line that carries content (not blank, not a `#` comment). */
export const isSignificant = (line: string): boolean => {
  const t = line.trim();
  return t !== '' && !t.startsWith('#');
};

const known = new Map<string, KnownField>(KNOWN_FIELDS.map((f) => [f.toLowerCase(), f]));

/** Header cells of a CSV line, split naively (enough to recognise a header row). */
const naiveCells = (line: string): string[] => line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase());

/**
 * `.csv` means CSV and `.jsonl`/`.ndjson` JSON Lines; otherwise the first significant line
 * decides: `{` starts JSON Lines, a header row naming SourceURL (or URL) means CSV, anything
 * else is a plain list.
 */
export function detectFormat(fileName: string, firstSignificantLine: string | undefined): UrlListFormat {
  const ext = extensionOf(fileName);
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (firstSignificantLine === undefined) return 'text';
  const first = firstSignificantLine.trim();
  if (first.startsWith('{')) return 'jsonl';
  const cells = naiveCells(first);
  if (cells.length > 1 && (cells.includes('sourceurl') || cells.includes('url'))) return 'csv';
  return 'text';
}

export function textRecord(line: string, lineNo: number): UrlListRecord | undefined {
  if (!isSignificant(line)) return undefined;
  return { line: lineNo, fields: { SourceURL: line.trim() }, extra: {} };
}

export function jsonRecord(line: string, lineNo: number, file: string): UrlListRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new MigrateUsageError(`${file}, line ${lineNo}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MigrateUsageError(`${file}, line ${lineNo}: each line of a JSON Lines list must be an object.`);
  }
  const fields: Partial<Record<KnownField, string>> = {};
  const extra: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = known.get(key.toLowerCase()) ?? (key.toLowerCase() === 'url' ? 'URL' : undefined);
    if (field === undefined) {
      extra[key] = jsonText(v);
      continue;
    }
    if (field === 'URL') {
      if (fields.SourceURL === undefined && !hasKey(value, 'sourceurl')) fields.SourceURL = jsonField(v, key, lineNo, file);
      else extra[key] = jsonText(v);
      continue;
    }
    if (fields[field] !== undefined) throw new MigrateUsageError(`${file}, line ${lineNo}: "${field}" is given twice (keys are case-insensitive).`);
    fields[field] = field === 'Tags' && Array.isArray(v) ? v.map((t) => jsonField(t, key, lineNo, file)).join(',') : jsonField(v, key, lineNo, file);
  }
  if (!fields.SourceURL?.trim()) throw new MigrateUsageError(`${file}, line ${lineNo}: the object has no SourceURL.`);
  return { line: lineNo, fields, extra };
}

const hasKey = (o: object, lower: string): boolean => Object.keys(o).some((k) => k.toLowerCase() === lower);

function jsonField(v: unknown, key: string, lineNo: number, file: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === null) return '';
  throw new MigrateUsageError(`${file}, line ${lineNo}: "${key}" must be a string or a number.`);
}

/** Extra values are kept as text: strings verbatim, other JSON values as JSON. */
const jsonText = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v));

export type CsvColumn = { readonly field: KnownField } | { readonly extra: string };

export function csvHeader(cells: readonly string[], lineNo: number, file: string): CsvColumn[] {
  const lower = cells.map((c) => c.trim().toLowerCase());
  const urlAlias = !lower.includes('sourceurl') && lower.includes('url');
  if (!lower.includes('sourceurl') && !urlAlias) {
    throw new MigrateUsageError(`${file}, line ${lineNo}: the CSV header row has no SourceURL column (found: ${cells.join(', ') || 'nothing'}).`);
  }
  const seen = new Set<string>();
  return cells.map((cell, i) => {
    const name = cell.trim();
    const key = name.toLowerCase();
    const field = key === 'url' && urlAlias ? 'SourceURL' : known.get(key);
    const id = field ?? (name === '' ? `column${i + 1}` : name);
    if (seen.has(id.toLowerCase())) throw new MigrateUsageError(`${file}, line ${lineNo}: the CSV header names "${id}" twice.`);
    seen.add(id.toLowerCase());
    return field === undefined ? { extra: id } : { field };
  });
}

export function csvRecord(columns: readonly CsvColumn[], cells: readonly string[], lineNo: number, file: string): UrlListRecord | undefined {
  if (cells.every((c) => c.trim() === '')) return undefined;
  const fields: Partial<Record<KnownField, string>> = {};
  const extra: Record<string, string> = {};
  columns.forEach((col, i) => {
    const cell = cells[i] ?? '';
    if ('field' in col) fields[col.field] = cell;
    else extra[col.extra] = cell;
  });
  if (!fields.SourceURL?.trim()) throw new MigrateUsageError(`${file}, line ${lineNo}: the row has no SourceURL.`);
  return { line: lineNo, fields, extra };
}

type Invalid = NonNullable<SourceItem['invalid']>;

/** The item a record describes; its `invalid` says why it cannot migrate, when it cannot. */
export function recordToItem(rec: UrlListRecord): SourceItem {
  const f = rec.fields;
  const id = (f.SourceURL ?? '').trim();
  const url = checkUrl(id);
  const given = f.FileExtension?.trim().replace(/^\./, '').toLowerCase() || undefined;
  let fileName = f.FileName?.trim() || (url instanceof URL ? urlFileName(url) : '');
  if (given !== undefined && extensionOf(fileName) !== given) fileName = `${fileName || 'media'}.${given}`;
  const ext = extensionOf(fileName);
  const cateId = f.CateId?.trim() || undefined;
  const fileSize = f.FileSize?.trim() || undefined;

  let invalid: Invalid | undefined;
  if (!(url instanceof URL)) invalid = url;
  else if (ext === undefined || !isMediaExtension(ext)) {
    invalid = {
      code: 'InvalidFileName.Extension',
      message: given !== undefined
        ? `line ${rec.line}: FileExtension "${given}" is not a supported audio or video format.`
        : `line ${rec.line}: the URL has no audio or video file extension; give FileName or FileExtension.`,
    };
  } else if (cateId !== undefined && !/^\d{1,15}$/.test(cateId)) {
    invalid = { code: 'InvalidParameter.CateId', message: `line ${rec.line}: CateId "${cateId.slice(0, 40)}" is not a number.` };
  } else if (fileSize !== undefined && !/^\d{1,15}$/.test(fileSize)) {
    invalid = { code: 'InvalidParameter.FileSize', message: `line ${rec.line}: FileSize "${fileSize.slice(0, 40)}" is not a number of bytes.` };
  }

  return {
    id,
    fileName: fileName || (url instanceof URL ? url.hostname : 'media'),
    title: f.Title?.trim() || undefined,
    description: f.Description?.trim() || undefined,
    tags: f.Tags?.trim() || undefined,
    cateId: cateId !== undefined && /^\d{1,15}$/.test(cateId) ? Number(cateId) : undefined,
    coverUrl: f.CoverURL?.trim() || undefined,
    size: fileSize !== undefined && /^\d{1,15}$/.test(fileSize) ? Number(fileSize) : undefined,
    extra: rec.extra,
    invalid,
  };
}

/** What the target accepts in UploadURLs (reference §1): an http(s) URL with a host, no credentials, ≤ 2048 bytes. */
function checkUrl(text: string): URL | Invalid {
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 199)}…` : text);
  const bad = (why: string): Invalid => ({ code: 'URLInvalidError', message: `${shown} ${why}.` });
  if (Buffer.byteLength(text) > MAX_URL_BYTES) return bad(`is longer than ${MAX_URL_BYTES} bytes`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('is not an http or https URL');
  if (url.hostname === '') return bad('has no host');
  if (url.username !== '' || url.password !== '') return bad('carries credentials (user:password@); use a signed URL instead');
  return url;
}

/** The last path segment, percent-decoded when that is possible. */
function urlFileName(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  return name.replace(/[/\\]/g, '_');
}
