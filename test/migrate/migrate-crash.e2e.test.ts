// The migrator killed with SIGKILL and run again: every item ends up on the target exactly once
// — killed from outside at some moment mid-run, and killed at the worst moment on purpose
// (OPENVOD_MIGRATE_TEST_CRASH: the target has answered a submission, the ledger does not know).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { allVideos, jobsFor, ledgerRows, runCli, spawnCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-crash');
let target: Target;
let origin: Origin;
let clip: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 1, width: 160, height: 120 }));
  origin = await startOrigin();
  target = await startTarget(dir);
});
after(async () => {
  await target?.server.cleanup();
  await origin?.close();
});

/** `n` URLs under `prefix`, served slowly enough that a run has items in flight for a while. */
function library(prefix: string, n: number): { list: string; urls: string[] } {
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = `/${prefix}/clip-${String(i).padStart(3, '0')}.mp4`;
    origin.serveBytes(path, clip, { contentType: 'video/mp4' });
    origin.fault(path, { kind: 'drip', bytesPerTick: 8192, intervalMs: 40 });
    urls.push(origin.url(path));
  }
  const list = join(dir, `${prefix}.txt`);
  writeFileSync(list, `${urls.join('\n')}\n`);
  return { list, urls };
}

async function assertExactlyOnce(urls: readonly string[], ledger: string): Promise<void> {
  for (const url of urls) {
    const jobs = await jobsFor(target.vod, url);
    assert.equal(jobs.length, 1, `${url}: ${JSON.stringify(jobs)}`);
    assert.equal(jobs[0]?.Status, 'SUCCESS');
  }
  const rows = ledgerRows(ledger);
  assert.equal(rows.length, urls.length);
  for (const r of rows) assert.equal(r.state, 'succeeded', JSON.stringify(r));
  const ids = new Set(rows.map((r) => r.video_id));
  assert.equal(ids.size, urls.length);
  const videos = (await allVideos(target.vod)).filter((v) => ids.has(v.VideoId));
  assert.equal(videos.length, urls.length);
}

describe('killed and run again', () => {
  test('SIGKILL mid-run: the re-run resumes and every item is on the target exactly once', async () => {
    const { list, urls } = library('outside', 24);
    const ledger = join(dir, 'outside.sqlite');
    const args = ['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2', '--max-in-flight', '8', '--json'];
    const first = spawnCli(args);
    await first.waitForEvent(() => first.events.filter((e) => e.Event === 'submitted').length >= 10);
    first.child.kill('SIGKILL');
    assert.equal((await first.exit).signal, 'SIGKILL');
    const mid = ledgerRows(ledger);
    assert.ok(mid.some((r) => r.state === 'pending'), 'some items were not sent before the kill');
    assert.ok(mid.some((r) => r.state === 'submitted' || r.state === 'submitting'), 'some items were in flight at the kill');

    const second = await runCli(args);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    await assertExactlyOnce(urls, ledger);
    for (const r of ledgerRows(ledger)) assert.equal(r.attempts, 1);
  });

  test('killed between the target\'s answer and the ledger write: the batch is recovered, not sent twice', async () => {
    const { list, urls } = library('worst', 12);
    const ledger = join(dir, 'worst.sqlite');
    const args = ['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2', '--max-in-flight', '4', '--json'];
    const first = await runCli(args, { OPENVOD_MIGRATE_TEST_CRASH: 'after-submit-answer:2' });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const lost = ledgerRows(ledger).filter((r) => r.state === 'submitting');
    assert.equal(lost.length, 4, 'the second batch was answered but not recorded');
    // The target has those jobs already.
    for (const r of lost) assert.equal((await jobsFor(target.vod, r.item_id)).length, 1);

    const second = await runCli(args);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    const recovered = second.events.filter((e) => e.Event === 'recovered');
    assert.deepEqual(new Set(recovered.map((e) => e.SourceId)), new Set(lost.map((r) => r.item_id)));
    await assertExactlyOnce(urls, ledger);
  });

  test('Ctrl-C stops cleanly (exit 130, nothing new sent); the same command resumes', async () => {
    const { list, urls } = library('interrupt', 10);
    const ledger = join(dir, 'interrupt.sqlite');
    const args = ['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2', '--max-in-flight', '4', '--json'];
    const first = spawnCli(args);
    await first.waitForEvent((e) => e.Event === 'submitted');
    first.child.kill('SIGINT');
    const { code } = await first.exit;
    assert.equal(code, 130, first.stderr());
    const summary = first.events.find((e) => e.Event === 'summary');
    assert.equal(summary?.Outcome, 'interrupted');
    assert.ok(ledgerRows(ledger).some((r) => r.state === 'pending'));
    const second = await runCli(args);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    await assertExactlyOnce(urls, ledger);
  });
});
