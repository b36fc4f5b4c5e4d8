// Byte ranges as HTTP Range (RFC 9110 §14.1.2) defines them: inclusive `start`/`end`.
// "A server that receives a request for a byte range whose last-byte-pos is greater than or
// equal to the current length of the representation … SHOULD treat it as the last byte"
// (so `end` is clamped), and a range is unsatisfiable when "the first-byte-pos … is greater than
// the current length" (so `start >= size` fails; on an empty object every range fails).
// S3's GetObject Range behaves the same way.

import { RangeNotSatisfiableError } from './blob-errors.js';

export interface RangeRequest {
  start?: number | undefined;
  end?: number | undefined;
}

/** Inclusive byte positions, already clamped to the object. */
export interface ResolvedRange {
  start: number;
  end: number;
}

/** Checks the shape of a range before the object's size is known. */
export function assertRangeShape(range: RangeRequest): void {
  const { start, end } = range;
  for (const [name, value] of [['start', start], ['end', end]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeNotSatisfiableError(`Range ${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw new RangeNotSatisfiableError(`Range start ${start} is after end ${end}`);
  }
}

/**
 * Resolves a range against an object of `size` bytes. Returns undefined when no range was asked
 * for (the whole object, even if empty).
 */
export function resolveRange(range: RangeRequest, size: number): ResolvedRange | undefined {
  assertRangeShape(range);
  if (range.start === undefined && range.end === undefined) return undefined;
  const start = range.start ?? 0;
  if (start >= size) {
    throw new RangeNotSatisfiableError(`Range starts at ${start} but the object has ${size} bytes`, size);
  }
  return { start, end: Math.min(range.end ?? size - 1, size - 1) };
}
