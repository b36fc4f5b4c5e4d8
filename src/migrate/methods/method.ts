// A method moves items onto the target (pull, push, register). The runner hands it rows; it
// records every transition in the ledger itself.
import type { ItemRow } from '../ledger/ledger.types.js';

export interface MethodDriver {
  /** Rows per submit call: UploadMediaByURL takes ≤ 20 URLs, RegisterMedia ≤ 10 files, a push one. */
  readonly batchSize: number;
  /** Submit calls the runner may have going at once. */
  readonly parallelSubmits: number;
  /**
   * Pending rows → submitting (intent recorded first) → submitted, failed, or pending again.
   * An answer that never came leaves rows in `submitting` for `recover`.
   */
  submit(rows: readonly ItemRow[]): Promise<void>;
  /**
   * Rows left in `submitting` by an earlier run or a lost answer: find out whether the target has
   * them, without ever creating an item twice.
   */
  recover(rows: readonly ItemRow[]): Promise<void>;
  /** Submitted rows due for a check: succeeded (verified), failed, or checked again later. */
  check(rows: readonly ItemRow[]): Promise<void>;
  /** Rows per check call (GetURLUploadInfos ≤ 10 JobIds, GetVideoInfos ≤ 20 VideoIds). */
  readonly checkBatchSize: number;
}
