import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../domain/errors.js';
import { formatEventTypeList, parseEventTypeList, selectsEventType } from './event-types.js';

test('EventTypeList: ALL, lists in canonical spelling, empty = none, unknown refused', () => {
  assert.equal(formatEventTypeList(parseEventTypeList('ALL')), 'ALL');
  assert.equal(formatEventTypeList(parseEventTypeList(' all ')), 'ALL');
  assert.equal(formatEventTypeList(parseEventTypeList('fileuploadcomplete, DeleteMediaComplete,FileUploadComplete')), 'FileUploadComplete,DeleteMediaComplete');
  assert.equal(formatEventTypeList(parseEventTypeList('')), '');
  assert.throws(() => parseEventTypeList('FileUploadComplete,Bogus'), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameter');
  assert.throws(() => parseEventTypeList('ALL,FileUploadComplete'), ApiError);
});

test('selectsEventType', () => {
  assert.equal(selectsEventType('ALL', 'FileUploadComplete'), true);
  assert.equal(selectsEventType('FileUploadComplete,DeleteMediaComplete', 'DeleteMediaComplete'), true);
  assert.equal(selectsEventType('FileUploadComplete', 'DeleteMediaComplete'), false);
  assert.equal(selectsEventType('', 'FileUploadComplete'), false);
});
