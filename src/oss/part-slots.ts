// Where a multipart upload's parts sit in its staging file (part-staging.ts). Pure.
//
// Part n goes to the slot at (n − 1) × stride, the stride being the size of the first part that
// claimed a slot (SDKs cut every part but the last to one size). A part recorded this way keeps
// its place in its row's blob key, `<upload prefix>staged-<n>-at-<offset>`, so the layout is
// known again after a restart. When the parts chosen at Complete lie end to end from offset 0,
// the first `total` bytes of the staging file ARE the object, and Complete is a rename.

export interface StagedPartRow {
  readonly part_number: number;
  readonly blob_key: string;
  readonly size: number;
}

const STAGED_KEY = /\/staged-(\d{1,5})-at-(\d{1,16})$/;

/** The blob key recorded for part `partNumber` staged at `offset`. */
export const stagedPartKey = (uploadPrefix: string, partNumber: number, offset: number): string =>
  `${uploadPrefix}staged-${partNumber}-at-${offset}`;

/** The staging-file offset a recorded part key names, or undefined for a part stored as a blob. */
export function stagedOffset(blobKey: string): number | undefined {
  const m = STAGED_KEY.exec(blobKey);
  return m ? Number(m[2]) : undefined;
}

/** The stride recorded parts imply: from any staged part n > 1, else a staged part 1's size. */
export function strideOf(parts: readonly StagedPartRow[]): number | undefined {
  let first: number | undefined;
  for (const p of parts) {
    const offset = stagedOffset(p.blob_key);
    if (offset === undefined) continue;
    if (p.part_number > 1 && offset % (p.part_number - 1) === 0) return offset / (p.part_number - 1);
    if (p.part_number === 1) first = p.size;
  }
  return first;
}

/** Whether `parts`, in order, lie end to end in the staging file from offset 0. */
export function contiguousFromStart(parts: readonly StagedPartRow[]): boolean {
  let expected = 0;
  for (const p of parts) {
    if (stagedOffset(p.blob_key) !== expected) return false;
    expected += p.size;
  }
  return parts.length > 0;
}
