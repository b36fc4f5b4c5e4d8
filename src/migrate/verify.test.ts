import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberField, verifyMigrated } from './verify.js';

test('verification: each check only when both sides know; the first mismatch wins with its own code', () => {
  assert.equal(verifyMigrated({}, { size: 1, md5: 'aa', durationS: 1 }, 1), undefined);
  assert.equal(verifyMigrated({ size: 10, md5: 'AB', durationS: 5 }, { size: 10, md5: 'ab', durationS: 5.9 }, 1), undefined);
  assert.equal(verifyMigrated({ size: 10 }, { size: 11 }, 1)?.code, 'Migrate.SizeMismatch');
  assert.equal(verifyMigrated({ pushedSize: 10 }, { size: 11 }, 1)?.code, 'Migrate.SizeMismatch');
  assert.equal(verifyMigrated({ md5: 'aa' }, { md5: 'bb' }, 1)?.code, 'Migrate.Md5Mismatch');
  assert.equal(verifyMigrated({ pushedMd5: 'aa' }, { md5: 'bb' }, 1)?.code, 'Migrate.Md5Mismatch');
  assert.equal(verifyMigrated({ durationS: 5 }, { durationS: 6.5 }, 1)?.code, 'Migrate.DurationMismatch');
  assert.equal(verifyMigrated({ size: null, md5: '' }, { size: 3, md5: 'x' }, 1), undefined);
});

test('numbers from API fields that may be strings', () => {
  assert.equal(numberField('2.5'), 2.5);
  assert.equal(numberField(3), 3);
  assert.equal(numberField(''), undefined);
  assert.equal(numberField('x'), undefined);
  assert.equal(numberField(null), undefined);
});
