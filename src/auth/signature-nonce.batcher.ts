// Group commit for signature nonces: the claims made during one turn of the event loop are
// written by one statement (one commit) at the end of the turn, instead of one write each.
// Every claim still gets its own answer, and only once the write has committed — so a request
// is answered only after its nonce is durable, and a repeated nonce is refused whether its twin
// is in the same batch, in an earlier one, or was written by another process.
import type { NonceClaim, NonceOutcome } from '../store/nonce-store.js';

/** Writes a batch of distinct claims, committed when it resolves; one outcome per claim, in order. */
export type NonceWriter = (claims: readonly NonceClaim[], nowMs: number) => Promise<NonceOutcome[]>;

interface Pending {
  readonly claim: NonceClaim;
  resolve(outcome: NonceOutcome): void;
  reject(err: unknown): void;
}

export class NonceBatcher {
  private pending: Pending[] = [];
  /** access key → nonces in `pending`: a repeat inside one batch is refused without a write. */
  private pendingKeys = new Map<string, Set<string>>();
  private oldestNowMs = Number.POSITIVE_INFINITY;
  private scheduled = false;

  constructor(private readonly write: NonceWriter) {}

  /**
   * Resolves `fresh` once the nonce is recorded, `used` if it was already; rejects if the write
   * failed. `nowMs` is the request's clock reading; a batch uses the oldest of its claims', so a
   * nonce is never judged expired earlier than its own request would have judged it.
   */
  claim(accessKeyId: string, nonce: string, nowMs: number): Promise<NonceOutcome> {
    let nonces = this.pendingKeys.get(accessKeyId);
    if (!nonces) this.pendingKeys.set(accessKeyId, (nonces = new Set()));
    if (nonces.has(nonce)) return Promise.resolve('used');
    nonces.add(nonce);
    this.oldestNowMs = Math.min(this.oldestNowMs, nowMs);
    return new Promise<NonceOutcome>((resolve, reject) => {
      this.pending.push({ claim: { accessKeyId, nonce }, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the poll phase: every request read in this turn is in the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    const nowMs = this.oldestNowMs;
    this.pending = [];
    this.pendingKeys = new Map();
    this.oldestNowMs = Number.POSITIVE_INFINITY;
    this.scheduled = false;
    let written: Promise<NonceOutcome[]>;
    try {
      written = this.write(batch.map((p) => p.claim), nowMs);
    } catch (err) {
      written = Promise.reject(err);
    }
    written
      .then((outcomes) => {
        if (outcomes.length !== batch.length) throw new Error(`nonce writer answered ${outcomes.length} of ${batch.length} claims`);
        batch.forEach((p, i) => p.resolve(outcomes[i] as NonceOutcome));
      })
      .catch((err: unknown) => {
        for (const p of batch) p.reject(err);
      });
  }
}
