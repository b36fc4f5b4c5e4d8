// SearchMedia for videos: page mode and scroll mode (reference §6).
//
// Page mode (no ScrollToken): PageNo/PageSize over the matches in SortBy order (≤3 keys, then
// VideoId), reaching only the first 5,000 (PageNo × PageSize ≤ 5,000, else InvalidParameter).
//
// Scroll mode: any page-mode answer sorted by a single key that found something carries a
// ScrollToken (32 hex characters). The same token serves the whole traversal; each call returns
// the page PageNo names (absolute, as in page mode) or, without PageNo, the page after the
// furthest one read so far. Pages are read by keyset from the cursor stored after an earlier page
// — never by offset from the start — so:
// - depth costs nothing (page 20,000 is as fast as page 2) and there is no 5,000 cap;
// - media created after the scroll started never shift or repeat results: the scroll only
//   traverses videos created at or before the newest one that existed when it started, and
//   Total is counted then and kept;
// - a page may be asked again (a retried request answers the same rows), and up to
//   SCROLL_WINDOW_ROWS rows may be skipped forward from a page already read.
// A video deleted meanwhile simply drops out; a video whose ModificationTime changes during a scroll
// sorted by ModificationTime moves, and may be seen twice or not at all (CreationTime never
// changes). The token lives SCROLL_TTL_MS after its last use (give or take a minute); then
// InvalidScrollToken.Expired.
// Later calls may repeat Match and SortBy (they must be the same search) or leave them out.
import { randomBytes } from 'node:crypto';
import { ApiError, invalid } from '../domain/errors.js';
import type { Store } from '../store/db.js';
import { checkMatch, type VideoFilter } from './match-check.js';
import { parseMatch } from './match-parser.js';
import { findFuzzyDriver, requiredContains } from './fuzzy-driver.js';
import { countVideos, findVideoPage, findVideoPageCounted, newestCreationMs, type VideoQuery, type VideoRecord } from './search.repository.js';
import type { SearchRequest } from './search.request.js';
import { cursorAtOrBefore, findScroll, furthestRows, insertScroll, purgeExpiredScrolls, type ScrollRow, saveCursor } from './scroll.repository.js';
import { parseSortBy, type SortKey, sortByText } from './sort-by.js';

export const PAGE_MODE_CAP = 5000;
export const SCROLL_WINDOW_ROWS = 1200;
export const SCROLL_TTL_MS = 30 * 60_000;

export interface SearchOutcome {
  readonly total: number;
  readonly rows: readonly VideoRecord[];
  readonly scrollToken: string | undefined;
}

const EMPTY: SearchOutcome = { total: 0, rows: [], scrollToken: undefined };

export async function searchVideos(store: Store, req: SearchRequest, nowMs: number): Promise<SearchOutcome> {
  if (req.scrollToken !== undefined) return continueScroll(store, req, req.scrollToken, nowMs);
  const filter = checkMatch(parseMatch(req.match ?? ''));
  const sort = parseSortBy(req.sortBy);
  // OpenVOD keeps no audio-only, image or attached media that SearchMedia could list: those
  // searches are checked (Match syntax, SortBy) and answer nothing.
  if (req.searchType !== 'video') return EMPTY;
  const pageNo = req.pageNo ?? 1;
  if (pageNo * req.pageSize > PAGE_MODE_CAP) {
    throw invalid('PageNo', `Page mode reaches only the first ${PAGE_MODE_CAP} matches (PageNo × PageSize ≤ ${PAGE_MODE_CAP}); continue with the ScrollToken to go further.`);
  }
  const scrollable = sort.length === 1;
  const boundMs = scrollable ? await newestCreationMs(store.db) : undefined;
  // Postgres estimates a LIKE '%word%' from a sample; asked for 20 rows in CreationTime order it
  // may walk that index hoping to meet them soon, and for a rare word read the library. A page
  // of matches is never dearer to sort than the Total that is counted beside it, so in page mode
  // a fuzzy search sorts its matches — also one too short for trigrams, whose matches a scan
  // finds anyway. (SQLite: fuzzy-driver.ts.)
  const sortMatches = store.dialect === 'postgres' && requiredContains(filter, false).length > 0;
  const q: VideoQuery = { filter, sort, boundMs, sortMatches, driver: await findFuzzyDriver(store, filter) };
  const offset = (pageNo - 1) * req.pageSize;
  const { rows, total } = await pageAndTotal(store, q, offset, req.pageSize);
  if (!scrollable || rows.length === 0) return { total, rows, scrollToken: undefined };

  const token = randomBytes(16).toString('hex');
  const scroll = {
    token, search_type: req.searchType, match: req.match ?? '', sort_by: sortByText(sort), bound_ms: boundMs ?? null, total,
    created_at_ms: nowMs, expires_at_ms: nowMs + SCROLL_TTL_MS,
  };
  await insertScroll(store, scroll, { rowsBefore: offset + rows.length, ...positionOf(rows[rows.length - 1] as VideoRecord, sort) });
  // Expired scrolls are swept now and then here (about one new scroll in 16), besides any
  // periodic purge the server runs.
  if (token.startsWith('0')) await purgeExpiredScrolls(store.db, nowMs);
  return { total, rows, scrollToken: token };
}

/**
 * The page and the count of all matches. When every match is read anyway — a fuzzy search, whose
 * matches are sorted (Postgres) or driven by their looked-up candidates (SQLite) — one query reads
 * the page and counts them. Otherwise, on Postgres the two run at once on two connections; on
 * SQLite a short page is its own count, and anything else is counted after.
 */
async function pageAndTotal(store: Store, q: VideoQuery, offset: number, pageSize: number): Promise<{ rows: VideoRecord[]; total: number }> {
  const { db, dialect } = store;
  const page = { offset, limit: pageSize };
  if (dialect === 'postgres' && !q.sortMatches) {
    const [rows, total] = await Promise.all([findVideoPage(db, dialect, q, page), countVideos(db, dialect, q)]);
    return { rows, total };
  }
  if (q.driver || q.sortMatches) {
    const counted = await findVideoPageCounted(db, dialect, q, page);
    return { rows: counted.rows, total: counted.total ?? (offset === 0 ? 0 : await countVideos(db, dialect, q)) };
  }
  const rows = await findVideoPage(db, dialect, q, page);
  const short = rows.length < pageSize && (rows.length > 0 || offset === 0);
  return { rows, total: short ? offset + rows.length : await countVideos(db, dialect, q) };
}

async function continueScroll(store: Store, req: SearchRequest, token: string, nowMs: number): Promise<SearchOutcome> {
  const scroll = await findScroll(store.db, token, nowMs);
  if (!scroll) throw new ApiError('InvalidScrollToken.Expired', 'The ScrollToken is unknown or has expired; start the search again without it.');
  if (req.searchType !== scroll.search_type) throw invalid('SearchType', 'It differs from the search the ScrollToken continues.');
  const sort = scrollSort(req, scroll);
  const filter = scrollFilter(req, scroll);
  const start = req.pageNo !== undefined ? (req.pageNo - 1) * req.pageSize : await furthestRows(store.db, token);
  const cursor = await cursorAtOrBefore(store.db, token, start);
  const skip = start - (cursor?.rowsBefore ?? 0);
  if (skip > SCROLL_WINDOW_ROWS) {
    throw invalid('PageNo', `With a ScrollToken a page may start at most ${SCROLL_WINDOW_ROWS} results after one already read; read the pages in between first.`);
  }
  const q: VideoQuery = { filter, sort, boundMs: scroll.bound_ms ?? undefined, after: cursor, driver: await findFuzzyDriver(store, filter) };
  const rows = await findVideoPage(store.db, store.dialect, q, { offset: skip, limit: req.pageSize });
  if (rows.length === 0) return { total: scroll.total, rows, scrollToken: undefined };
  const last = rows[rows.length - 1] as VideoRecord;
  // The expiry moves at most once a minute: most pages write only their cursor.
  const expiresAtMs = scroll.expires_at_ms - nowMs < SCROLL_TTL_MS - 60_000 ? nowMs + SCROLL_TTL_MS : undefined;
  await saveCursor(store, token, { rowsBefore: start + rows.length, ...positionOf(last, sort) }, expiresAtMs);
  return { total: scroll.total, rows, scrollToken: token };
}

function scrollSort(req: SearchRequest, scroll: ScrollRow): readonly SortKey[] {
  const sort = parseSortBy(req.sortBy ?? scroll.sort_by);
  if (sort.length !== 1) throw new ApiError('SortByExceededMax', 'With a ScrollToken, SortBy takes exactly one field.');
  if (sortByText(sort) !== scroll.sort_by) throw invalid('SortBy', `It differs from the search the ScrollToken continues (${scroll.sort_by}).`);
  return sort;
}

function scrollFilter(req: SearchRequest, scroll: ScrollRow): VideoFilter | undefined {
  const filter = checkMatch(parseMatch(scroll.match));
  if (req.match !== undefined && req.match !== scroll.match) {
    const given = checkMatch(parseMatch(req.match));
    if (JSON.stringify(given) !== JSON.stringify(filter)) throw invalid('Match', 'It differs from the search the ScrollToken continues.');
  }
  return filter;
}

const positionOf = (row: VideoRecord, sort: readonly SortKey[]) => ({
  sortValue: Number(row[(sort[0] as SortKey).column]),
  videoId: row.video_id,
});
