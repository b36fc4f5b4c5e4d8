// Groups the recording of successful deliveries: while one group is being written (one
// transaction, one commit), the 200s that arrive meanwhile queue up for the next. On Postgres a
// commit costs an fsync, so one commit per delivery would bound throughput by the disk.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { type DeliveryLease, markDeliveredMany } from './delivery.repository.js';

/** At most this many per transaction (bounds the statement's size). */
const MAX_GROUP = 256;

interface Pending {
  readonly lease: DeliveryLease;
  readonly targetUrl: string;
  readonly resolve: (recorded: boolean) => void;
  readonly reject: (err: unknown) => void;
}

export interface DeliveredWriter {
  /** Resolves once written: true if the claim was still held (the outcome was recorded). */
  record(lease: DeliveryLease, targetUrl: string): Promise<boolean>;
}

export function createDeliveredWriter(db: Kysely<Database>, now: () => number): DeliveredWriter {
  const queue: Pending[] = [];
  let writing = false;

  const drain = async (): Promise<void> => {
    writing = true;
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, MAX_GROUP);
        try {
          const recorded = await markDeliveredMany(db, group, { statusCode: 200, nowMs: now() });
          for (const p of group) p.resolve(recorded.has(p.lease.seq));
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      writing = false;
    }
  };

  return {
    record(lease, targetUrl) {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ lease, targetUrl, resolve, reject });
        if (!writing) void drain();
      });
    },
  };
}
