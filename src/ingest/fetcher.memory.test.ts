// Memory stays bounded while a large body streams to disk: the origin generates 300 MB on the fly
// and the fetcher must not buffer it. A memory bound, not a timing.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { test } from 'node:test';
import { generatedMd5 } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';

const SIZE = 300 * 1024 * 1024;
const MiB = 1024 * 1024;

test('a 300 MB download keeps RSS growth far below the body size', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveGenerated('/big.mp4', SIZE);
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let nextSample = 0;
  const r = await kit.fetch('/big.mp4', {
    onProgress: (p) => {
      if (p.bytes < nextSample) return;
      nextSample = p.bytes + MiB;
      peak = Math.max(peak, process.memoryUsage.rss());
    },
  });
  assert.equal(r.size, SIZE);
  assert.equal((await stat(kit.file())).size, SIZE);
  assert.equal(r.md5, generatedMd5(SIZE));
  const growthMiB = (peak - baseline) / MiB;
  t.diagnostic(`RSS growth during the transfer: ${growthMiB.toFixed(1)} MiB for a ${SIZE / MiB} MiB body`);
  assert.ok(growthMiB < 150, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
});
