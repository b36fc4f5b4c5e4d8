// What the migrator sends for an item, as pure functions: titles and descriptions cut to the
// target's byte limits, the SessionId/marker that identifies an attempt, UserData (our callback
// receiver + the marker in Extend) and UploadMediaByURL's UploadMetadatas entries.
import { createHash } from 'node:crypto';
import type { RpcParams } from '../sdk/index.js';
import type { ItemMetadata } from './ledger/ledger.types.js';

/** UploadMetadata/CreateUploadVideo/RegisterMetadata limits (reference §1, §3, §4). */
export const TITLE_MAX_BYTES = 128;
export const DESCRIPTION_MAX_BYTES = 1024;
/** The key under UserData.Extend that carries an attempt's marker. */
export const MARKER_KEY = 'OpenVODMigrate';

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The title to send: the source's, else the file name without its extension, else the file name. */
export function titleFor(meta: ItemMetadata, fileName: string): string {
  const base = fileName.replace(/\.[A-Za-z0-9]{1,10}$/, '') || fileName || 'untitled';
  return truncateBytes(meta.title?.trim() || base, TITLE_MAX_BYTES);
}

export const extensionOf = (fileName: string): string | undefined => /\.([A-Za-z0-9]{1,10})$/.exec(fileName)?.[1]?.toLowerCase();

/**
 * A SessionId / marker for one attempt: `mig-` + 32 hex of the source, the items and their
 * attempt numbers — ≤ 50 characters of `[A-Za-z0-9_-]` as UploadMediaByURL's SessionId requires.
 * The same attempt always gets the same id; every new attempt gets a new one.
 */
export function attemptId(source: string, items: ReadonlyArray<{ itemId: string; attempt: number }>): string {
  const h = createHash('sha256').update(source).update('\0');
  for (const i of [...items].sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : a.attempt - b.attempt))) {
    h.update(i.itemId).update('\0').update(String(i.attempt)).update('\0');
  }
  return `mig-${h.digest('hex').slice(0, 32)}`;
}

/** UserData: our callback receiver (when listening) and the attempt's marker in Extend. */
export function userDataFor(marker: string, callbackUrl: string | undefined): string {
  const data: Record<string, unknown> = {};
  if (callbackUrl !== undefined) data.MessageCallback = { CallbackURL: callbackUrl, CallbackType: 'http' };
  data.Extend = { [MARKER_KEY]: marker };
  return JSON.stringify(data);
}

/** The marker in a UserData string as a target echoes it (Extend as an object or as a JSON string). */
export function markerIn(userData: unknown): string | undefined {
  let data: unknown = userData;
  for (let i = 0; i < 3 && typeof data === 'string'; i++) {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  if (data === null || typeof data !== 'object') return undefined;
  let extend: unknown = (data as Record<string, unknown>).Extend;
  if (typeof extend === 'string') {
    try {
      extend = JSON.parse(extend);
    } catch {
      return undefined;
    }
  }
  const m = extend !== null && typeof extend === 'object' ? (extend as Record<string, unknown>)[MARKER_KEY] : undefined;
  return typeof m === 'string' ? m : undefined;
}

/** Metadata common to the three methods, in the RPC's names (undefined = not sent). */
export interface MediaFields {
  readonly Title: string;
  readonly Description?: string | undefined;
  readonly Tags?: string | undefined;
  readonly CoverURL?: string | undefined;
  readonly CateId?: number | undefined;
}

export function mediaFields(meta: ItemMetadata, fileName: string, cateId: number | undefined): MediaFields {
  return {
    Title: titleFor(meta, fileName),
    Description: meta.description ? truncateBytes(meta.description, DESCRIPTION_MAX_BYTES) : undefined,
    Tags: meta.tags || undefined,
    CoverURL: meta.coverUrl || undefined,
    CateId: cateId,
  };
}

/** One UploadMediaByURL UploadMetadatas entry. */
export function uploadMetadataEntry(url: string, fields: MediaFields, fileName: string, size: number | undefined): Record<string, string> {
  const e: Record<string, string> = { SourceURL: url, Title: fields.Title };
  if (fields.Description !== undefined) e.Description = fields.Description;
  if (fields.Tags !== undefined) e.Tags = fields.Tags;
  if (fields.CoverURL !== undefined) e.CoverURL = fields.CoverURL;
  if (fields.CateId !== undefined) e.CateId = String(fields.CateId);
  if (size !== undefined && size > 0) e.FileSize = String(size);
  const ext = extensionOf(fileName);
  if (ext !== undefined) e.FileExtension = ext;
  return e;
}

/** Options every submission carries. */
export interface TargetPlacement {
  readonly templateGroupId?: string | undefined;
  readonly storageLocation?: string | undefined;
  readonly appId?: string | undefined;
}

/** UploadMediaByURL's parameters for one batch (≤ 20 URLs), ready to send and to store. */
export function pullRequest(
  entries: ReadonlyArray<Record<string, string>>,
  sessionId: string,
  userData: string,
  placement: TargetPlacement,
): Record<string, string> {
  const p: Record<string, string> = {
    UploadURLs: entries.map((e) => encodeURIComponent(e.SourceURL as string)).join(','),
    UploadMetadatas: JSON.stringify(entries),
    UserData: userData,
    SessionId: sessionId,
  };
  if (placement.templateGroupId) p.TemplateGroupId = placement.templateGroupId;
  if (placement.storageLocation) p.StorageLocation = placement.storageLocation;
  if (placement.appId) p.AppId = placement.appId;
  return p;
}

export const asRpcParams = (p: Record<string, string>): RpcParams => p;
