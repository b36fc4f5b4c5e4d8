import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../domain/errors.js';
import { buildSubmissions, parseUploadUrls } from './url-upload.request.js';

const code = (c: string) => (e: unknown) => e instanceof ApiError && e.code === c;

test('UploadURLs: comma-separated, each URL-encoded, at most 20', () => {
  const a = 'https://media.example.com/a b/clip 1.mp4?x=1,2';
  const b = 'http://media.example.com/c.MOV';
  assert.deepEqual(parseUploadUrls(`${encodeURIComponent(a)},${encodeURIComponent(b)}`), [a, b]);
  assert.deepEqual(parseUploadUrls('http://h/plain.mp4'), ['http://h/plain.mp4']);
  const twentyOne = Array.from({ length: 21 }, (_, i) => encodeURIComponent(`http://h/${i}.mp4`)).join(',');
  assert.throws(() => parseUploadUrls(twentyOne), code('InvalidParameter.UploadURLs'));
  assert.equal(parseUploadUrls(twentyOne.split(',').slice(0, 20).join(',')).length, 20);
  assert.throws(() => parseUploadUrls('ftp://h/a.mp4'), code('InvalidParameter.UploadURLs'));
  assert.throws(() => parseUploadUrls('not a url'), code('InvalidParameter.UploadURLs'));
  assert.throws(() => parseUploadUrls('http%3A%2F%2Fh%2F%E0%A4%A.mp4'), code('InvalidParameter.UploadURLs'));
  assert.throws(() => parseUploadUrls(encodeURIComponent('http://user:pw@h/a.mp4')), code('InvalidParameter.UploadURLs'));
  assert.throws(() => parseUploadUrls(encodeURIComponent(`http://h/${'x'.repeat(2100)}.mp4`)), code('InvalidParameter.UploadURLs'));
  assert.throws(() => parseUploadUrls(' , '), code('InvalidParameter.UploadURLs'));
});

test('metadata: matched by SourceURL, file name as default title, extension rules', () => {
  const urls = ['http://h/dir/My%20Clip.mp4', 'http://h/stream?id=7'];
  const subs = buildSubmissions(urls, JSON.stringify([
    { SourceURL: urls[1], Title: 'Seven', FileExtension: 'flv', Tags: 'a, b', CateId: 12, FileSize: '1000' },
  ]), '');
  assert.equal(subs[0]?.metadata.title, 'My Clip');
  assert.equal(subs[0]?.metadata.fileExtension, 'mp4');
  assert.equal(subs[1]?.metadata.title, 'Seven');
  assert.equal(subs[1]?.metadata.fileExtension, 'flv');
  assert.equal(subs[1]?.metadata.tags, 'a,b');
  assert.equal(subs[1]?.metadata.cateId, 12);
  assert.equal(subs[1]?.metadata.fileSize, 1000);

  assert.throws(() => buildSubmissions(['http://h/stream?id=7'], undefined, ''), code('InvalidFileName.Extension'));
  assert.throws(() => buildSubmissions(['http://h/page.html'], undefined, ''), code('InvalidFileName.Extension'));
  assert.throws(() => buildSubmissions(urls, '{not json', ''), code('InvalidParameter.UploadMetadatas'));
  assert.throws(() => buildSubmissions(urls, '{"SourceURL":"x"}', ''), code('InvalidParameter.UploadMetadatas'));
  assert.throws(() => buildSubmissions(urls, JSON.stringify([{ SourceURL: 'http://other/x.mp4', Title: 't' }]), ''), code('InvalidParameter.UploadMetadatas'));
  assert.throws(() => buildSubmissions([urls[0] ?? ''], JSON.stringify([{ SourceURL: urls[0], Title: 'x'.repeat(129) }]), ''), code('LengthExceededMax'));
  assert.throws(() => buildSubmissions([urls[0] ?? ''], JSON.stringify([{ SourceURL: urls[0], Title: '🎬 film' }]), ''), code('IllegalCharacters'));
  assert.throws(() => buildSubmissions([urls[0] ?? ''], JSON.stringify([{ SourceURL: urls[0], TemplateGroupId: 'abc' }]), ''), code('InvalidTemplateGroupId.NotFound'));
  assert.equal(buildSubmissions([urls[0] ?? ''], undefined, 'VOD_NO_TRANSCODE')[0]?.metadata.templateGroupId, 'VOD_NO_TRANSCODE');
  // An emoji in the file name does not sink the default title.
  assert.equal(buildSubmissions(['http://h/%F0%9F%8E%AC%20trailer.mp4'], undefined, '')[0]?.metadata.title, 'trailer');
});
