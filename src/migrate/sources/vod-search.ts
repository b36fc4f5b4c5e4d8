// Pure rules of the vod: source: the SearchMedia request (reference §6), the items its answers
// describe, and what GetMezzanineInfo (§5) adds to them.
import type { SourceItem } from '../source.js';

/** "PageSize: default 10, max 100". */
export const SEARCH_PAGE_SIZE = 100;

/** "SortBy: … exactly 1 in scroll mode"; oldest first, so media added during a run come last. */
export const SEARCH_SORT = 'CreationTime:Asc';

export const SEARCH_FIELDS = ['Title', 'Description', 'Tags', 'CateId', 'CateName', 'CoverURL', 'Size', 'Duration', 'Status', 'CreationTime', 'ModificationTime'] as const;

/**
 * The statuses whose source file is complete (§7): `Normal`, plus media whose file is uploaded
 * but whose processing is pending, running, failed or under review. Left out: `Uploading`,
 * `UploadFail` and `ProduceFail` (no complete file), and `Blocked` (a review verdict a migration
 * should not quietly undo). A `vodMatch` that names `Status` itself replaces this rule.
 */
export const MIGRATABLE_STATUSES = ['Normal', 'UploadSucc', 'Transcoding', 'TranscodeFail', 'Checking'] as const;

/** Whether a Match expression constrains `Status` (outside its quoted values). */
export function matchNamesStatus(match: string): boolean {
  return /\bStatus\b/i.test(match.replace(/'[^']*'/g, "''"));
}

/**
 * The Match sent: the user's expression `and` the migratable statuses. A top-level `or` must be
 * parenthesised in the Match language, so plain `and` concatenation keeps the user's meaning.
 */
export function buildMatch(userMatch: string | undefined): string {
  const statuses = `Status in (${MIGRATABLE_STATUSES.map((s) => `'${s}'`).join(',')})`;
  const user = userMatch?.trim();
  if (user === undefined || user === '') return statuses;
  return matchNamesStatus(user) ? user : `${user} and ${statuses}`;
}

export interface SearchRequest {
  readonly page: number;
  readonly scrollToken: string | undefined;
  readonly match: string;
}

export function searchParams(req: SearchRequest): Record<string, string | number | undefined> {
  return {
    SearchType: 'video',
    Fields: SEARCH_FIELDS.join(','),
    Match: req.match,
    SortBy: SEARCH_SORT,
    PageNo: req.page,
    PageSize: SEARCH_PAGE_SIZE,
    ScrollToken: req.scrollToken,
  };
}

/** One video as SearchMedia describes it. */
export interface SearchedVideo {
  readonly videoId: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly tags?: string | undefined;
  readonly cateName?: string | undefined;
  readonly coverUrl?: string | undefined;
  readonly size?: number | undefined;
  readonly durationS?: number | undefined;
  readonly lastModified?: string | undefined;
}

export interface SearchPage {
  readonly videos: readonly SearchedVideo[];
  /** How many entries the answer held (videos plus anything that was not a usable video). */
  readonly count: number;
  readonly scrollToken: string | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** `{Total, ScrollToken, MediaList:[{MediaId, MediaType, CreationTime, Video:{…}}]}` → videos. */
export function parseSearchPage(body: Record<string, unknown>): SearchPage {
  const list = Array.isArray(body.MediaList) ? (body.MediaList as unknown[]) : [];
  const videos: SearchedVideo[] = [];
  for (const entry of list) {
    const media = (entry ?? {}) as Record<string, unknown>;
    const v = (media.Video ?? {}) as Record<string, unknown>;
    const videoId = str(v.VideoId) ?? str(media.MediaId);
    if (videoId === undefined) continue;
    const size = num(v.Size);
    const duration = num(v.Duration);
    videos.push({
      videoId,
      title: str(v.Title),
      description: str(v.Description),
      tags: str(v.Tags),
      cateName: str(v.CateName),
      coverUrl: str(v.CoverURL),
      size: size !== undefined && size > 0 ? size : undefined,
      durationS: duration !== undefined && duration > 0 ? duration : undefined,
      lastModified: str(v.ModificationTime) ?? str(v.CreationTime) ?? str(media.CreationTime),
    });
  }
  return { videos, count: list.length, scrollToken: str(body.ScrollToken) };
}

/** What GetMezzanineInfo says about the source file. */
export interface Mezzanine {
  readonly fileName?: string | undefined;
  readonly fileUrl?: string | undefined;
  readonly size?: number | undefined;
  readonly durationS?: number | undefined;
  readonly md5?: string | undefined;
}

export function parseMezzanine(body: Record<string, unknown>): Mezzanine {
  const m = (body.Mezzanine ?? {}) as Record<string, unknown>;
  const md5 = str(m.FileMD5);
  const size = num(m.Size);
  const duration = num(m.Duration);
  return {
    fileName: str(m.FileName),
    fileUrl: str(m.FileURL),
    size: size !== undefined && size > 0 ? size : undefined,
    durationS: duration !== undefined && duration > 0 ? duration : undefined,
    md5: md5 !== undefined && /^[0-9a-fA-F]{32}$/.test(md5) ? md5.toLowerCase() : undefined,
  };
}

/**
 * The file name for the target: the mezzanine's FileName when it has an extension, else the last
 * segment of its FileURL path (ApsaraVideo's FileName is often empty or a bare title), else the
 * VideoId (the item will fail on the target for want of an extension, which is the truth).
 */
export function fileNameOf(videoId: string, m: Mezzanine): string {
  const hasExt = (n: string | undefined): n is string => n !== undefined && /\.[A-Za-z0-9]{1,10}$/.test(n);
  const base = m.fileName?.split(/[/\\]/).pop();
  if (hasExt(base)) return base;
  if (m.fileUrl !== undefined) {
    try {
      const last = decodeURIComponent(new URL(m.fileUrl).pathname.split('/').pop() ?? '');
      if (hasExt(last)) return last;
    } catch {
      // not a URL we can read a name from
    }
  }
  return videoId;
}

/**
 * The item: the source's metadata (its CateId means nothing on the target, so only the category
 * name travels), the mezzanine's size, duration and MD5 preferred over the search answer's.
 */
export function toItem(v: SearchedVideo, m: Mezzanine): SourceItem {
  return {
    id: v.videoId,
    fileName: fileNameOf(v.videoId, m),
    title: v.title,
    description: v.description,
    tags: v.tags,
    cateName: v.cateName,
    coverUrl: v.coverUrl,
    size: m.size ?? v.size,
    md5: m.md5,
    durationS: v.durationS ?? m.durationS,
    lastModified: v.lastModified,
    extra: {},
  };
}
