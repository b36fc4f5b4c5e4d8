import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedMediaUrl } from './media-ref.js';

test('our own media URLs become blob references whatever their auth_key', () => {
  const base = 'http://127.0.0.1:8080';
  assert.equal(storedMediaUrl(base, `${base}/media/0123/image.png?auth_key=1-0-0-abc`), 'blob:0123/image.png');
  assert.equal(storedMediaUrl(base, `${base}/media/a%20b/c.jpg`), 'blob:a b/c.jpg');
  assert.equal(storedMediaUrl(base, 'https://cdn.example.com/media/x.jpg'), 'https://cdn.example.com/media/x.jpg');
  assert.equal(storedMediaUrl(base, `${base}/other/x.jpg`), `${base}/other/x.jpg`);
  assert.equal(storedMediaUrl(base, `${base}/media/../x.jpg`), `${base}/media/../x.jpg`); // not under /media/ once normalised: kept as given
  assert.equal(storedMediaUrl(base, ''), '');
});
