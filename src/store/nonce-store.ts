// Where signature nonces are remembered, shared by every process of a deployment: a request's
// nonce is recorded (and committed) before its answer is sent, and a nonce any process has seen
// is refused until it expires. On Postgres the table `signature_nonces` of the metadata database
// (pg-nonce-table.ts); on SQLite a file of its own beside the metadata file (sqlite-nonce-file.ts).

export interface NonceClaim {
  readonly accessKeyId: string;
  readonly nonce: string;
}

/** `fresh`: recorded now, the request may proceed. `used`: seen before within its lifetime. */
export type NonceOutcome = 'fresh' | 'used';

export interface NonceStore {
  /**
   * Records the claims, committed when this resolves, and answers each one in order. A nonce
   * whose record expired before `nowMs` is taken afresh and held until `nowMs + ttlMs`. The
   * claims must be distinct. Two processes racing for one nonce get one `fresh`.
   */
  record(claims: readonly NonceClaim[], nowMs: number, ttlMs: number): Promise<NonceOutcome[]>;
  /** Forgets the nonces that expired before `nowMs`; resolves with how many rows went (a nonce each on Postgres, a batch of them on SQLite). */
  purgeExpired(nowMs: number): Promise<number>;
  /**
   * Takes in what other processes recorded since this one last looked, so that the next
   * `record` has little to read first (SQLite, where each process answers from its own index;
   * nothing to do on Postgres). An API process calls it at start and then every second.
   */
  catchUp(): void;
}
