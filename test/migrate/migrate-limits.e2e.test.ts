// Limits, end to end: Throttling answers are retried with backoff until the target takes the
// call (through a proxy that throttles the first calls of each action), and nothing is created
// twice; the in-flight limit holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { jobsFor, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';
import { startThrottlingProxy, type ThrottlingProxy } from './throttling-proxy.js';

const dir = workDir('migrate-limits');
let target: Target;
let origin: Origin;
let proxy: ThrottlingProxy;
let clip: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 1, width: 160, height: 120 }));
  origin = await startOrigin();
  target = await startTarget(dir);
  proxy = await startThrottlingProxy(target.url, { UploadMediaByURL: 3, GetURLUploadInfos: 3 });
});
after(async () => {
  await proxy?.close();
  await target?.server.cleanup();
  await origin?.close();
});

describe('limits', () => {
  test('Throttling answers are retried with backoff; every item once; in flight never above the limit', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 9; i++) {
      origin.serveBytes(`/t/${i}.mp4`, clip, { contentType: 'video/mp4' });
      urls.push(origin.url(`/t/${i}.mp4`));
    }
    const list = join(dir, 'throttled.txt');
    writeFileSync(list, `${urls.join('\n')}\n`);
    const ledger = join(dir, 'throttled.sqlite');
    const r = await runCli(['--source', `urls:${list}`, '--endpoint', proxy.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2',
      '--max-in-flight', '4', '--json']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const retries = r.events.filter((e) => e.Event === 'retry');
    for (const action of ['UploadMediaByURL', 'GetURLUploadInfos']) {
      assert.equal(proxy.throttled.get(action), 3, action);
      assert.equal(retries.filter((e) => e.Action === action && e.Code === 'Throttling.User').length, 3, action);
    }
    for (const url of urls) assert.equal((await jobsFor(target.vod, url)).length, 1, url);
    assert.ok(ledgerRows(ledger).every((x) => x.state === 'succeeded'));
    // The in-flight limit: batches of at most 4 URLs, and never more than 4 submitted-unfinished.
    let inFlight = 0;
    let most = 0;
    for (const e of r.events) {
      if (e.Event === 'submitted') inFlight++;
      if (e.Event === 'succeeded' || e.Event === 'failed') inFlight--;
      most = Math.max(most, inFlight);
    }
    assert.ok(most <= 4, `in flight reached ${most}`);
  });
});
