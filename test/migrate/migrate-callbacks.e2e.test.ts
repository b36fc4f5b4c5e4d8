// --callback-listen: the target's callbacks (UploadByURLComplete …) drive completion. Polling is
// set to an hour, so the run can only finish because the signed callbacks arrived, were verified
// with the AuthKey the migrator read from the target (GetMessageCallback), and made items due.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { jobsFor, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-callbacks');
let target: Target;
let origin: Origin;
let globalReceiver: Receiver;
let clip: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 1, width: 160, height: 120 }));
  origin = await startOrigin();
  globalReceiver = await startReceiver();
  target = await startTarget(dir);
  // UserData overrides only work with a callback configuration that selects event types (reference §8).
  await target.vod.call('SetMessageCallback', { CallbackURL: globalReceiver.url, EventTypeList: 'ALL', AuthSwitch: 'on', AuthKey: 'MigrateKey2024x' });
});
after(async () => {
  await target?.server.cleanup();
  await origin?.close();
  await globalReceiver?.close();
});

describe('callbacks', () => {
  test('signed callbacks complete the run while polling sleeps', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 4; i++) {
      origin.serveBytes(`/cb/${i}.mp4`, clip, { contentType: 'video/mp4' });
      urls.push(origin.url(`/cb/${i}.mp4`));
    }
    const list = join(dir, 'cb.txt');
    writeFileSync(list, `${urls.join('\n')}\n`);
    const ledger = join(dir, 'cb.sqlite');
    const r = await runCli(['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys,
      '--callback-listen', '127.0.0.1:0', '--poll-interval', '3600', '--json']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const start = r.events.find((e) => e.Event === 'start');
    assert.match(String(start?.CallbackURL), /^http:\/\/127\.0\.0\.1:\d+\/openvod-migrate\/callback$/);
    const callbacks = r.events.filter((e) => e.Event === 'callback');
    assert.ok(callbacks.some((e) => e.EventType === 'UploadByURLComplete'), JSON.stringify(callbacks));
    assert.ok(callbacks.every((e) => e.Accepted === true), JSON.stringify(callbacks));
    assert.ok(ledgerRows(ledger).every((x) => x.state === 'succeeded'));
    for (const url of urls) assert.equal((await jobsFor(target.vod, url)).length, 1);
    // Our receiver got them, not the global URL.
    assert.equal(globalReceiver.received.filter((x) => x.body?.EventType === 'UploadByURLComplete').length, 0);
  });
});
