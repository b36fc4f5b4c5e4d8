import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFINITION_LADDER, decimalString, definitionFor, formatForPlayInfo, isApsaraPlayFormat } from './media-info.js';
import type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from './media-info.js';

test('definitionFor: short-side ladder FD ≤360 < LD ≤540 < SD ≤720 < HD ≤1080 < 2K ≤1440 < 4K ≤2160 < OD; no picture → SQ', () => {
  const cases: [number | undefined, string][] = [
    [144, 'FD'], [240, 'FD'], [360, 'FD'],
    [361, 'LD'], [480, 'LD'], [540, 'LD'],
    [576, 'SD'], [720, 'SD'],
    [721, 'HD'], [1080, 'HD'],
    [1200, '2K'], [1440, '2K'],
    [1600, '4K'], [2160, '4K'],
    [2161, 'OD'], [4320, 'OD'],
    [undefined, 'SQ'], [0, 'SQ'], [-1, 'SQ'], [Number.NaN, 'SQ'],
  ];
  for (const [h, d] of cases) assert.equal(definitionFor(h), d, `height ${h}`);
  assert.deepEqual(DEFINITION_LADDER.map(([, d]) => d), ['FD', 'LD', 'SD', 'HD', '2K', '4K']);
});

const video = (codecName: string): VideoStreamInfo => ({ codecName } as VideoStreamInfo);
const audio = (codecName: string): AudioStreamInfo => ({ codecName } as AudioStreamInfo);
const info = (formatName: string, v: string[], a: string[], majorBrand?: string): MediaInfo =>
  ({ formatName, majorBrand, videoStreams: v.map(video), audioStreams: a.map(audio) } as MediaInfo);
const ISO = 'mov,mp4,m4a,3gp,3g2,mj2';

test('formatForPlayInfo: container decides, the extension only names within a family', () => {
  const cases: [MediaInfo, string | undefined, string][] = [
    [info(ISO, ['h264'], ['aac'], 'isom'), 'mp4', 'mp4'],
    [info(ISO, ['h264'], ['aac'], 'isom'), '.MP4', 'mp4'],
    [info(ISO, ['h264'], ['aac'], 'isom'), 'm4v', 'mp4'],
    [info(ISO, ['h264'], ['aac'], 'qt'), 'mov', 'mov'],
    [info(ISO, ['h264'], ['aac'], 'qt'), undefined, 'mov'],
    [info(ISO, ['h264'], ['aac'], 'isom'), undefined, 'mp4'],
    [info(ISO, ['h264'], ['aac'], 'isom'), 'bin', 'mp4'],
    [info(ISO, [], ['aac'], 'M4A'), undefined, 'm4a'],
    [info(ISO, [], ['aac'], 'isom'), '', 'm4a'],
    [info(ISO, [], ['aac'], 'isom'), 'm4a', 'm4a'],
    [info(ISO, ['h263'], ['amr_nb'], '3gp4'), undefined, '3gp'],
    [info(ISO, ['h263'], ['amr_nb'], 'isom'), '3gp', '3gp'],
    [info('hls', ['h264'], ['aac']), 'm3u8', 'm3u8'],
    [info('dash', ['h264'], ['aac']), 'mpd', 'mpd'],
    [info('flv', ['h264'], ['aac']), 'flv', 'flv'],
    [info('flv', ['h264'], ['aac']), 'mp4', 'flv'], // misnamed: the container wins
    [info('mp3', [], ['mp3']), 'mp3', 'mp3'],
    [info('matroska,webm', ['vp9'], ['opus']), undefined, 'webm'],
    [info('matroska,webm', ['vp9'], ['opus']), 'mkv', 'mkv'],
    [info('matroska,webm', ['h264'], ['aac']), undefined, 'mkv'],
    [info('matroska,webm', ['h264'], ['aac']), 'webm', 'webm'],
    [info('mpegts', ['h264'], ['aac']), 'ts', 'ts'],
    [info('avi', ['mpeg4'], ['mp3']), undefined, 'avi'],
    [info('mpeg', ['mpeg2video'], ['mp2']), 'mpg', 'mpg'],
    [info('asf', ['wmv2'], ['wmav2']), 'WMV', 'wmv'],
    [info('asf', ['wmv2'], ['wmav2']), undefined, 'asf'],
    [info('ogg', ['theora'], ['vorbis']), 'ogv', 'ogg'],
    [info('wav', [], ['pcm_s16le']), undefined, 'wav'],
    [info('rm', ['rv40'], ['cook']), 'rmvb', 'rm'],
    [info('', [], []), 'xyz', 'xyz'],
    [info('', [], []), undefined, 'unknown'],
  ];
  for (const [i, ext, expected] of cases) assert.equal(formatForPlayInfo(i, ext), expected, `${i.formatName} .${ext}`);
  assert.deepEqual(['mp4', 'm3u8', 'mp3', 'flv', 'mpd', 'mov', 'webm'].map(isApsaraPlayFormat), [true, true, true, true, true, false, false]);
});

test('decimalString: trimmed, at most 3 decimals, empty when unknown', () => {
  assert.equal(decimalString(25), '25');
  assert.equal(decimalString(30000 / 1001), '29.97');
  assert.equal(decimalString(796.256), '796.256');
  assert.equal(decimalString(2.0375511), '2.038');
  assert.equal(decimalString(0.0001), '0');
  assert.equal(decimalString(-0.0001), '0');
  assert.equal(decimalString(1500), '1500');
  assert.equal(decimalString(undefined), '');
  assert.equal(decimalString(Number.NaN), '');
  assert.equal(decimalString(2.5, 0), '3');
});
