import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvLine, extraColumns } from './export.js';

test('CSV cells: RFC 4180 quoting', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(' edge'), '" edge"');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(12), '12');
  assert.equal(csvLine(['a', null, 'b,c']), 'a,,"b,c"\r\n');
});

test('the user\'s columns in first-seen order; a clash with ours is prefixed', () => {
  const cols = extraColumns([{ extra: '{"LegacyId":"1","Owner":"x"}' }, { extra: '{"Status":"old","LegacyId":"2"}' }, { extra: 'bad json' }]);
  assert.deepEqual([...cols.entries()], [['LegacyId', 'LegacyId'], ['Owner', 'Owner'], ['Status', 'Extra.Status']]);
});
