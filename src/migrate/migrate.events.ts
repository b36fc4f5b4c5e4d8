// What a run reports as it goes: the CLI turns these into a progress bar on a TTY or JSON lines.
import type { StateCounts } from './ledger/ledger.types.js';
import type { MigrationMethod } from './source.js';

export type MigrateEvent =
  | {
    readonly type: 'start'; readonly source: string; readonly method: MigrationMethod; readonly counts: StateCounts; readonly knownBytes: number;
    /** Where the callback receiver listens (with --callback-listen). */
    readonly callbackUrl?: string | undefined;
  }
  | { readonly type: 'listed'; readonly added: number; readonly addedBytes: number; readonly done: boolean }
  | { readonly type: 'submitted'; readonly itemId: string; readonly attempt: number; readonly jobId?: string | undefined; readonly videoId?: string | undefined }
  | { readonly type: 'succeeded'; readonly itemId: string; readonly videoId: string; readonly jobId?: string | undefined; readonly size?: number | undefined; readonly durationS?: number | undefined }
  | { readonly type: 'failed'; readonly itemId: string; readonly code: string; readonly message: string; readonly videoId?: string | undefined; readonly jobId?: string | undefined }
  | { readonly type: 'skipped'; readonly itemId: string; readonly code: string; readonly message: string }
  /** Back to pending: a push to try again later, or an attempt a restart found never reached the target. */
  | { readonly type: 'requeued'; readonly itemId: string; readonly reason: string; readonly fromState: 'submitting' | 'submitted' }
  /** An attempt left unresolved by an earlier run (or a lost answer) was found on the target. */
  | { readonly type: 'recovered'; readonly itemId: string; readonly jobId?: string | undefined; readonly videoId?: string | undefined; readonly how: string }
  | { readonly type: 'retry'; readonly action: string; readonly attempt: number; readonly delayMs: number; readonly code: string }
  /** Bytes a push has had acknowledged since the last such event for the item. */
  | { readonly type: 'bytes'; readonly itemId: string; readonly bytes: number }
  | { readonly type: 'callback'; readonly accepted: boolean; readonly eventType?: string | undefined; readonly reason?: string | undefined }
  | { readonly type: 'warning'; readonly message: string };

export type Emit = (e: MigrateEvent) => void;
