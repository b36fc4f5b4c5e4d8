import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStorages } from './storage.config.js';

const parse = (raw: unknown[]) => {
  const problems: string[] = [];
  const storages = parseStorages(raw, (p) => `/cfg/${p}`, problems);
  return { storages, problems };
};

test('fs and s3 entries get their defaults; relative roots resolve against the config file', () => {
  const { storages, problems } = parse([
    { location: 'lib.example.com', type: 'fs', root: 'videos' },
    { location: 'b.oss-cn-shanghai.aliyuncs.com', type: 's3', bucket: 'bkt', endpoint: 'https://oss-cn-shanghai.aliyuncs.com', writable: true, default: true },
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(storages[0], { type: 'fs', location: 'lib.example.com', writable: false, isDefault: false, root: '/cfg/videos' });
  assert.deepEqual(storages[1], {
    type: 's3', location: 'b.oss-cn-shanghai.aliyuncs.com', writable: true, isDefault: true, endpoint: 'https://oss-cn-shanghai.aliyuncs.com',
    bucket: 'bkt', region: 'us-east-1', accessKeyId: undefined, secretAccessKey: undefined, prefix: '', forcePathStyle: false,
  });
});

test('every bad entry is reported, together', () => {
  const { problems } = parse([
    { location: 'Not A Host', type: 'fs', root: '/x' },
    { location: 'a.example.com', type: 'ftp' },
    { location: 'b.example.com', type: 's3', bucket: 'B!' },
    { location: 'c.example.com', type: 's3', bucket: 'ok-bucket', accessKeyId: 'x' },
    { location: 'd.example.com', type: 's3', bucket: 'ok-bucket', prefix: '/abs' },
    { location: 'e.example.com', type: 'fs', root: '/e', default: true },
    { location: 'f.example.com', type: 'fs', root: '/f', extra: 1 },
    { location: 'g.example.com', type: 'fs', root: '/g' },
    { location: 'g.example.com', type: 'fs', root: '/g2' },
    { location: 'openvod-default', type: 'fs', root: '/own', writable: false },
  ]);
  const expect = ['storages[0].location', 'storages[1]', 'storages[2].bucket', 'storages[3]', 'storages[4].prefix', 'storages[5]', 'storages[6]', 'storages[8].location', 'storages[9]'];
  for (const e of expect) assert.ok(problems.some((p) => p.startsWith(e)), `${e} in ${JSON.stringify(problems)}`);
});

test('at most one default storage', () => {
  const { problems } = parse([
    { location: 'a.example.com', type: 'fs', root: '/a', writable: true, default: true },
    { location: 'b.example.com', type: 'fs', root: '/b', writable: true, default: true },
  ]);
  assert.ok(problems.some((p) => p.includes('at most one')));
});
