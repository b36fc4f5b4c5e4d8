// `openvod migrate export`: the mapping the migration leaves behind — each source item (its
// identity and the user's own columns) → VideoId, JobId, PlayURL, CoverURL, Size, Duration,
// Status, ErrorCode. Live fields (PlayURL, CoverURL, the video's status) are read from the target
// when keys are given (GetVideoInfos ≤ 20 a call, GetPlayInfo per video); otherwise the export
// holds what the ledger knows. Written in chunks, so a large ledger is never held whole.
import { VodApiError } from '../sdk/index.js';
import { extraOf, metadataOf, type Ledger } from './ledger/ledger.js';
import type { ItemRow } from './ledger/ledger.types.js';
import { titleFor } from './submission.js';
import type { Target } from './target/target-client.js';
import { numberField } from './verify.js';

export type ExportFormat = 'csv' | 'json';
export type Cell = string | number | null;

const LEAD = ['Source', 'SourceId', 'FileName', 'Title'] as const;
const TAIL = ['VideoId', 'JobId', 'PlayURL', 'CoverURL', 'Size', 'Duration', 'Status', 'VideoStatus', 'ErrorCode', 'ErrorMessage', 'Method', 'Attempts'] as const;
const CHUNK = 200;

/** The user's extra columns, in first-seen order; a name clashing with ours gets an `Extra.` prefix. */
export function extraColumns(rows: Iterable<Pick<ItemRow, 'extra'>>): Map<string, string> {
  const ours = new Set<string>([...LEAD, ...TAIL]);
  const out = new Map<string, string>();
  for (const r of rows) for (const k of Object.keys(extraOf(r))) if (!out.has(k)) out.set(k, ours.has(k) ? `Extra.${k}` : k);
  return out;
}

/** RFC 4180: quoted when it holds a comma, a quote, CR or LF (or edge spaces); quotes doubled. */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvCell).join(',')}\r\n`;

interface Live { coverUrl?: string; status?: string; size?: number; durationS?: number; playUrl?: string }

async function liveInfo(target: Target, rows: readonly ItemRow[], authTimeoutS: number): Promise<Map<string, Live>> {
  const live = new Map<string, Live>();
  const ids = [...new Set(rows.map((r) => r.video_id).filter((v): v is string => v !== null))];
  for (let i = 0; i < ids.length; i += 20) {
    const r = await target.call<{ VideoList?: Array<{ VideoId: string; CoverURL?: string; Status?: string; Size?: unknown; Duration?: unknown }> }>(
      'GetVideoInfos', { VideoIds: ids.slice(i, i + 20).join(',') },
    );
    for (const v of r.VideoList ?? []) {
      live.set(v.VideoId, { coverUrl: v.CoverURL || undefined, status: v.Status, size: numberField(v.Size), durationS: numberField(v.Duration) });
    }
  }
  const playable = ids.filter((id) => live.get(id)?.status === 'Normal');
  for (let i = 0; i < playable.length; i += 16) {
    await Promise.all(playable.slice(i, i + 16).map(async (id) => {
      try {
        const r = await target.call<{ PlayInfoList?: { PlayInfo?: Array<{ PlayURL?: string }> } }>('GetPlayInfo', { VideoId: id, AuthTimeout: authTimeoutS });
        const url = r.PlayInfoList?.PlayInfo?.find((p) => p.PlayURL)?.PlayURL;
        const entry = live.get(id);
        if (entry && url) entry.playUrl = url;
      } catch (e) {
        if (!(e instanceof VodApiError)) throw e;
      }
    }));
  }
  return live;
}

function exportRecord(row: ItemRow, extras: Map<string, string>, live: Live | undefined): Record<string, Cell> {
  const meta = metadataOf(row);
  const rec: Record<string, Cell> = { Source: row.source, SourceId: row.item_id, FileName: row.file_name, Title: titleFor(meta, row.file_name) };
  const extra = extraOf(row);
  for (const [k, col] of extras) rec[col] = extra[k] ?? null;
  Object.assign(rec, {
    VideoId: row.video_id, JobId: row.job_id, PlayURL: live?.playUrl ?? null, CoverURL: live?.coverUrl ?? null,
    Size: live?.size ?? row.target_size ?? row.source_size, Duration: live?.durationS ?? row.target_duration_s ?? row.source_duration_s,
    Status: row.state, VideoStatus: live?.status ?? row.target_status, ErrorCode: row.error_code, ErrorMessage: row.error_message,
    Method: row.method, Attempts: row.attempts,
  });
  return rec;
}

export interface ExportOptions {
  readonly format: ExportFormat;
  /** Reads PlayURL/CoverURL/status live; without it the ledger's values are exported. */
  readonly target?: Target | undefined;
  /** Validity of the exported PlayURLs (GetPlayInfo AuthTimeout), seconds. */
  readonly authTimeoutS: number;
  /** Only this source's items (default: every source in the ledger). */
  readonly source?: string | undefined;
  readonly write: (text: string) => Promise<void>;
}

/** Writes the export; returns the number of items. */
export async function writeExport(ledger: Ledger, o: ExportOptions): Promise<number> {
  const wanted = (r: ItemRow): boolean => o.source === undefined || r.source === o.source;
  const extras = extraColumns((function* () {
    for (const r of ledger.all()) if (wanted(r)) yield r;
  })());
  const columns = [...LEAD, ...extras.values(), ...TAIL];
  if (o.format === 'csv') await o.write(csvLine(columns));
  else await o.write('[');
  let n = 0;
  let chunk: ItemRow[] = [];
  const flush = async (): Promise<void> => {
    const live = o.target ? await liveInfo(o.target, chunk.filter((r) => r.video_id !== null), o.authTimeoutS) : new Map<string, Live>();
    let text = '';
    for (const r of chunk) {
      const rec = exportRecord(r, extras, r.video_id === null ? undefined : live.get(r.video_id));
      text += o.format === 'csv' ? csvLine(columns.map((c) => rec[c] ?? null)) : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(rec)}`;
      n++;
    }
    await o.write(text);
  };
  // Keyset pages: a statement iterator must not stay open across awaits.
  for (let page = ledger.page(undefined, CHUNK); page.length > 0; ) {
    chunk = page.filter(wanted);
    if (chunk.length > 0) await flush();
    const last = page[page.length - 1] as ItemRow;
    page = ledger.page({ source: last.source, seq: last.seq }, CHUNK);
  }
  if (o.format === 'json') await o.write(n === 0 ? ']\n' : '\n]\n');
  return n;
}
