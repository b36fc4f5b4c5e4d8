// The ledger's vocabulary: one row per source item, keyed by (source spec, item id).
import type { MigrationMethod } from '../source.js';

/**
 * pending     listed (or set back), not yet on the target
 * submitting  intent recorded before calling the target: the call may or may not have reached it
 *             (a restart resolves it — see the methods' `recover`)
 * submitted   the target accepted it (JobId / VideoId known); waiting for it to finish
 * succeeded   finished on the target and verified
 * failed      finished badly (the target's code, or a Migrate.* code); `--retry-failed` retries it
 * skipped     nothing to migrate (an empty source file)
 */
export type ItemState = 'pending' | 'submitting' | 'submitted' | 'succeeded' | 'failed' | 'skipped';

export const ITEM_STATES: readonly ItemState[] = ['pending', 'submitting', 'submitted', 'succeeded', 'failed', 'skipped'];

/** The item's metadata as the source described it (kept as JSON). */
export interface ItemMetadata {
  title?: string | undefined;
  description?: string | undefined;
  tags?: string | undefined;
  cateId?: number | undefined;
  cateName?: string | undefined;
  coverUrl?: string | undefined;
  lastModified?: string | undefined;
  /** The source refused the item itself (a bad URL, no media extension …): never sent. */
  invalid?: { code: string; message: string } | undefined;
}

/** One ledger row, as stored. */
export interface ItemRow {
  source: string;
  item_id: string;
  seq: number;
  file_name: string;
  /** JSON ItemMetadata. */
  metadata: string;
  /** JSON Record<string, string>: the user's own columns. */
  extra: string;
  state: ItemState;
  method: MigrationMethod | null;
  attempts: number;
  /**
   * Identifies this item's current attempt on the target: the pull batch's SessionId (also sent as
   * UserData.Extend.OpenVODMigrate, so a restart finds the job by URL), the push upload's marker
   * (UserData.Extend.OpenVODMigrate of the new video), the register batch's id.
   */
  session_id: string | null;
  /** The URL (pull, after rewrites) or FileURL (register) sent to the target. */
  submitted_url: string | null;
  job_id: string | null;
  video_id: string | null;
  /** A failed attempt's video, deleted from the target before the item is submitted again. */
  stale_video_id: string | null;
  error_code: string | null;
  error_message: string | null;
  source_size: number | null;
  source_md5: string | null;
  source_duration_s: number | null;
  /** What the push actually sent (the SDK's count and MD5). */
  pushed_size: number | null;
  pushed_md5: string | null;
  target_size: number | null;
  target_md5: string | null;
  target_duration_s: number | null;
  target_status: string | null;
  /** pending: not before (a retry's backoff); submitted: the next check. */
  next_at_ms: number | null;
  listed_at_ms: number;
  submitted_at_ms: number | null;
  completed_at_ms: number | null;
  updated_at_ms: number;
}

/** Columns a transition may change. */
export type ItemPatch = Partial<Omit<ItemRow, 'source' | 'item_id' | 'seq' | 'listed_at_ms'>>;

/** One pull/register request as it was sent, so that a restart can send exactly the same again. */
export interface BatchRow {
  session_id: string;
  source: string;
  method: MigrationMethod;
  /** JSON of the RPC parameters. */
  request: string;
  created_at_ms: number;
}

export interface StateCounts {
  readonly total: number;
  readonly byState: Readonly<Record<ItemState, number>>;
  /** Failed items per error code. */
  readonly failuresByCode: Readonly<Record<string, number>>;
  /** Bytes of succeeded items (the target's sizes). */
  readonly succeededBytes: number;
}
