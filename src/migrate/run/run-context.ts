// What every part of a run shares: the source, the ledger, the target, the options, the event
// sink, the clock and the run's AbortSignal.
import type { Ledger } from '../ledger/ledger.js';
import type { Emit } from '../migrate.events.js';
import type { RewriteRule } from '../rewrite.js';
import type { MigrationMethod, MigrationSource } from '../source.js';
import type { TargetPlacement } from '../submission.js';
import type { Target } from '../target/target-client.js';
import type { CategoryResolver } from '../categories.js';
import type { Uploader } from '../../sdk/index.js';
import type { CheckSchedule } from './check-schedule.js';

export interface RunOptions {
  readonly method: MigrationMethod;
  /** Items submitted and not yet finished on the target, at most. */
  readonly maxInFlight: number;
  /** How often a submitted item is checked (with callbacks, the safety net's pace). */
  readonly pollIntervalMs: number;
  /** Pushes from one source host at once. */
  readonly pushConcurrencyPerHost: number;
  /** Push attempts per item before it fails (a failed upload's video is deleted each time). */
  readonly pushAttempts: number;
  /** Seconds two durations may differ. */
  readonly verifyToleranceS: number;
  readonly retryFailed: boolean;
  readonly rewrites: readonly RewriteRule[];
  readonly placement: TargetPlacement;
  /** CateId for items that name none. */
  readonly defaultCateId?: number | undefined;
  /** Validity asked of presigned source URLs (pull). */
  readonly urlExpiresInS: number;
  /**
   * While a pull batch is younger than this, a restart sends it again with its SessionId (the
   * target answers with the original jobs); older, it is looked up by URL first. Below the
   * target's 10-minute SessionId window.
   */
  readonly sessionReuseMs: number;
}

/** Test hooks: called at the moments a crash is hardest to survive (the CLI wires them to SIGKILL). */
export interface RunHooks {
  /** The target answered a pull/register submission; the ledger does not know yet. */
  readonly afterSubmitAnswer?: (n: number) => void;
  /** CreateUploadVideo answered (the SDK reported the VideoId); the ledger does not know yet. */
  readonly beforeVideoRecorded?: (n: number) => void;
  /** A push's VideoId is in the ledger; its bytes are on their way. */
  readonly afterVideoRecorded?: (n: number) => void;
}

export interface RunContext {
  readonly source: MigrationSource;
  readonly spec: string;
  readonly ledger: Ledger;
  readonly target: Target;
  readonly options: RunOptions;
  readonly emit: Emit;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly categories: CategoryResolver;
  /** Set when `--callback-listen` runs a receiver: sent in UserData.MessageCallback. */
  readonly callbackUrl: string | undefined;
  /** push only. */
  readonly uploader?: Uploader | undefined;
  readonly hooks: RunHooks;
  /** Later checks of submitted items (in memory). */
  readonly schedule: CheckSchedule;
}
