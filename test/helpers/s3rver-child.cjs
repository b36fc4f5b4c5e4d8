'use strict';
// The s3rver process behind test/helpers/s3rver.ts. It runs on its own because s3rver 3.7.1
// encrypts ListObjectsV2 continuation tokens with DES, which Node 20 only offers under
// `--openssl-legacy-provider` (the test processes don't have that flag).
//
// argv[2] is JSON `{ directory, buckets }`. Listens on a free loopback port, tells the parent
// `{ type: 'ready', port }` over IPC, and exits when the parent goes away (the IPC channel closes,
// even if the parent was SIGKILLed).
//
// s3rver differs from S3 where our tests look, so this file puts S3's behaviour back, on the
// FilesystemStore instance and with one Koa middleware in front of s3rver's router:
// - writes are atomic: a PUT streams into a temp file that is renamed over the object, and the
//   rename plus the object's metadata/md5 files change under one lock that reads also take (s3rver
//   truncates the object in place, so readers saw half-written objects, and two writers could
//   leave one's bytes with the other's ETag); a PUT whose client disconnects stores nothing;
// - ListObjects(V2) is in ascending UTF-8 byte order of the keys, common prefixes included, and
//   pages (start-after / continuation token / max-keys) cut that order (s3rver walked directories,
//   so `a/b` came before `a-c` and `c/x` before `c`);
// - `Range: bytes=0-0` is one byte (s3rver sent the whole object), and any range on an empty
//   object is unsatisfiable (416 InvalidRange, as S3 answers);
// - CompleteMultipartUpload checks the parts (InvalidPart, InvalidPartOrder, EntityTooSmall for a
//   non-last part under 5 MiB) and gives the object S3's multipart ETag, `<md5 of the parts'
//   binary MD5s>-<count>` (s3rver gave the MD5 of the whole object);
// - AbortMultipartUpload, ListMultipartUploads and UploadPartCopy (with x-amz-copy-source-range
//   and x-amz-copy-source-if-match), which s3rver lacks, are implemented. These three skip
//   s3rver's signature check.
// Everything else is s3rver as published.

const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { Transform } = require('node:stream');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');
const S3Object = require('s3rver/lib/models/object');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');
const { concatStreams } = require('s3rver/lib/utils');

const MIN_PART_BYTES = 5 * 1024 * 1024;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** One async mutex for every change of visible state and every read of it. */
function createLock() {
  let tail = Promise.resolve();
  return {
    run(fn) {
      const result = tail.then(fn);
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}

const byUtf8 = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const md5Hex = (data) => crypto.createHash('md5').update(data).digest('hex');
const unquote = (etag) => String(etag).replace(/"/g, '');
const isMissing = (err) => err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');

/** Streams `content` (a Buffer or a stream) into a new file; resolves with its size and MD5. */
async function writeHashed(content, file) {
  const hash = crypto.createHash('md5');
  let size = 0;
  const counter = new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Buffer.isBuffer(content) ? [content] : content;
  await pipeline(source, counter, fs.createWriteStream(file, { flags: 'wx' }));
  return { size, md5: hash.digest('hex') };
}

function patchStore(store, lock) {
  const tmpDir = (bucket) => store.getResourcePath(bucket, undefined, 'tmp');
  const uploadDir = (bucket, uploadId) => path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const original = {
    deleteObject: store.deleteObject.bind(store),
    listObjects: store.listObjects.bind(store),
    copyObject: store.copyObject.bind(store),
  };

  store.putObject = async function putObject(object, etag) {
    const dir = tmpDir(object.bucket);
    await fsp.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, crypto.randomBytes(12).toString('hex'));
    try {
      const { size, md5 } = await writeHashed(object.content, tmp);
      const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
      await lock.run(async () => {
        await fsp.mkdir(path.dirname(objectPath), { recursive: true });
        await fsp.rename(tmp, objectPath);
        await store.putMetadata(object.bucket, object.key, object.metadata, etag || md5);
      });
      return { size, md5: etag || md5 };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  };

  store.getObject = function getObject(bucket, key, options) {
    return lock.run(async () => {
      let metadata;
      try {
        metadata = await store.getMetadata(bucket, key);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      const object = new S3Object(bucket, key, null, metadata);
      const size = object.size;
      let range;
      if (options && (options.start !== undefined || options.end !== undefined)) {
        const start = Number.isFinite(options.start) ? options.start : 0;
        const end = Math.min(Number.isFinite(options.end) ? options.end : Infinity, size - 1);
        object.range = range = { start, end };
        // No content + a range = InvalidRange in s3rver's controller.
        if (start >= size || end < start) return object;
      }
      const file = store.getResourcePath(bucket, key, 'object');
      object.content = await new Promise((resolve, reject) => {
        const stream = fs.createReadStream(file, range).on('error', reject).on('open', () => resolve(stream));
      });
      return object;
    });
  };

  store.deleteObject = (bucket, key) =>
    lock.run(async () => {
      if (await store.existsObject(bucket, key)) await original.deleteObject(bucket, key);
    });

  store.copyObject = (...args) => lock.run(() => original.copyObject(...args));

  store.listObjects = (bucket, options) =>
    lock.run(async () => {
      const { startAfter = '', maxKeys = Infinity } = options;
      const all = await original.listObjects(bucket, { ...options, startAfter: '', maxKeys: Infinity });
      const entries = [
        ...all.objects.map((object) => ({ key: object.key, object })),
        ...all.commonPrefixes.map((prefix) => ({ key: prefix })),
      ]
        .sort((a, b) => byUtf8(a.key, b.key))
        .filter((entry) => byUtf8(entry.key, startAfter || '') > 0);
      const page = entries.slice(0, maxKeys);
      return {
        objects: page.filter((e) => e.object).map((e) => e.object),
        commonPrefixes: page.filter((e) => !e.object).map((e) => e.key),
        isTruncated: entries.length > page.length,
      };
    });

  store.putObjectMultipart = async function putObjectMultipart(bucket, uploadId, parts) {
    const dir = uploadDir(bucket, uploadId);
    let key;
    let metadata;
    try {
      key = await fsp.readFile(path.join(dir, 'key'), 'utf8');
      metadata = JSON.parse(await fsp.readFile(path.join(dir, 'metadata'), 'utf8'));
    } catch (err) {
      if (isMissing(err)) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
      throw err;
    }
    const digests = [];
    for (const [index, part] of parts.entries()) {
      if (index > 0 && part.number <= parts[index - 1].number) {
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { UploadId: uploadId });
      }
      const file = path.join(dir, String(part.number));
      const [md5, stats] = await Promise.all([fsp.readFile(`${file}.md5`, 'utf8').catch(() => null), fsp.stat(file).catch(() => null)]);
      if (md5 === null || stats === null || md5 !== part.etag) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', {
          UploadId: uploadId,
          PartNumber: part.number,
          ETag: part.etag,
        });
      }
      if (index < parts.length - 1 && stats.size < MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: stats.size,
          MinSizeAllowed: MIN_PART_BYTES,
          PartNumber: part.number,
          ETag: part.etag,
        });
      }
      digests.push(Buffer.from(md5, 'hex'));
    }
    const etag = `${md5Hex(Buffer.concat(digests))}-${digests.length}`;
    const content = concatStreams(parts.map((part) => fs.createReadStream(path.join(dir, String(part.number)))));
    const result = await store.putObject(new S3Object(bucket, key, content, metadata), etag);
    await fsp.rm(dir, { recursive: true, force: true });
    return result;
  };

  return { uploadDir };
}

/** `/bucket/key…` of a path-style request (key undefined for a bucket request). */
function parsePath(ctx) {
  const [, bucket = '', ...rest] = ctx.path.split('/');
  const key = rest.join('/');
  return { bucket: decodeURIComponent(bucket), key: key === '' ? undefined : decodeURIComponent(key) };
}

/** AbortMultipartUpload, ListMultipartUploads and UploadPartCopy, which s3rver lacks. */
function multipartMiddleware(store, lock, uploadDir) {
  const openUpload = async (bucket, key, uploadId) => {
    const storedKey = await fsp.readFile(path.join(uploadDir(bucket, uploadId), 'key'), 'utf8').catch(() => null);
    if (storedKey === null || storedKey !== key) {
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
    }
  };

  const abortUpload = async (ctx, bucket, key) => {
    const uploadId = String(ctx.query.uploadId);
    await openUpload(bucket, key, uploadId);
    await fsp.rm(uploadDir(bucket, uploadId), { recursive: true, force: true });
    ctx.status = 204;
  };

  const listUploads = async (ctx, bucket) => {
    const root = store.getResourcePath(bucket, undefined, 'uploads');
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const names = await fsp.readdir(root).catch((err) => (isMissing(err) ? [] : Promise.reject(err)));
    const uploads = [];
    for (const uploadId of names) {
      const dir = path.join(root, uploadId);
      const key = await fsp.readFile(path.join(dir, 'key'), 'utf8').catch(() => null);
      if (key === null || !key.startsWith(prefix)) continue;
      const { birthtime, mtime } = await fsp.stat(dir);
      uploads.push({ key, uploadId, initiated: birthtime.getTime() > 0 ? birthtime : mtime });
    }
    uploads.sort((a, b) => byUtf8(a.key, b.key) || a.initiated - b.initiated);
    const owner = { ID: DUMMY_ACCOUNT.id, DisplayName: DUMMY_ACCOUNT.displayName };
    ctx.body = {
      ListMultipartUploadsResult: {
        '@': { xmlns: XMLNS },
        Bucket: bucket,
        KeyMarker: '',
        UploadIdMarker: '',
        Prefix: prefix,
        MaxUploads: 1000,
        IsTruncated: false,
        Upload: uploads.map((u) => ({
          Key: u.key,
          UploadId: u.uploadId,
          Initiator: owner,
          Owner: owner,
          StorageClass: 'STANDARD',
          Initiated: u.initiated.toISOString(),
        })),
      },
    };
  };

  const uploadPartCopy = async (ctx, bucket, key) => {
    const uploadId = String(ctx.query.uploadId);
    const partNumber = Number(ctx.query.partNumber);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: ctx.query.partNumber });
    }
    await openUpload(bucket, key, uploadId);
    const copySource = decodeURIComponent(String(ctx.headers['x-amz-copy-source']).split('?')[0]).replace(/^\//, '');
    const slash = copySource.indexOf('/');
    const source = { bucket: copySource.slice(0, slash), key: copySource.slice(slash + 1) };
    const rangeHeader = ctx.headers['x-amz-copy-source-range'];
    const ifMatch = ctx.headers['x-amz-copy-source-if-match'];

    const stream = await lock.run(async () => {
      let metadata;
      try {
        metadata = await store.getMetadata(source.bucket, source.key);
      } catch (err) {
        if (isMissing(err)) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: source.key });
        throw err;
      }
      if (ifMatch !== undefined && unquote(ifMatch) !== unquote(metadata.etag)) {
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'x-amz-copy-source-If-Match' });
      }
      const size = Number(metadata['content-length']);
      let range;
      if (rangeHeader !== undefined) {
        const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
        if (!match || Number(match[1]) > Number(match[2]) || Number(match[2]) >= size) {
          throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeHeader });
        }
        range = { start: Number(match[1]), end: Number(match[2]) };
      }
      const file = store.getResourcePath(source.bucket, source.key, 'object');
      return new Promise((resolve, reject) => {
        const s = fs.createReadStream(file, range).on('error', reject).on('open', () => resolve(s));
      });
    });
    const partFile = path.join(uploadDir(bucket, uploadId), String(partNumber));
    await fsp.rm(partFile, { force: true });
    const { md5 } = await writeHashed(stream, partFile);
    await fsp.writeFile(`${partFile}.md5`, md5);
    ctx.body = { CopyPartResult: { '@': { xmlns: XMLNS }, LastModified: new Date().toISOString(), ETag: JSON.stringify(md5) } };
  };

  return async function s3Multipart(ctx, next) {
    const { bucket, key } = parsePath(ctx);
    const handler =
      ctx.method === 'DELETE' && key && 'uploadId' in ctx.query ? abortUpload
      : ctx.method === 'GET' && bucket && key === undefined && 'uploads' in ctx.query ? listUploads
      : ctx.method === 'PUT' && key && 'uploadId' in ctx.query && 'x-amz-copy-source' in ctx.headers ? uploadPartCopy
      : undefined;
    if (handler === undefined) return next();
    if (!(await store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    await handler(ctx, bucket, key);
  };
}

async function main() {
  const { directory, buckets } = JSON.parse(process.argv[2]);
  process.on('disconnect', () => process.exit(0));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const lock = createLock();
  const { uploadDir } = patchStore(server.store, lock);
  const routerAt = server.middleware.findIndex((fn) => fn.name === 'dispatch');
  if (routerAt === -1) throw new Error('s3rver changed: its router middleware was not found');
  server.middleware.splice(routerAt, 0, multipartMiddleware(server.store, lock, uploadDir));
  // s3rver's `silent` also silences Koa's error log: report server-side failures, which clients
  // only see as InternalError, on stderr (the helper shows it). Not S3 errors (`expose`), nor a
  // client that went away mid-request (its socket can't be answered any more).
  server.on('error', (err, ctx) => {
    if ((err && err.expose) || (ctx && !ctx.writable)) return;
    process.stderr.write(`s3rver internal error: ${err && err.stack ? err.stack : String(err)}\n`);
  });
  const { port } = await server.run();
  process.send({ type: 'ready', port });
}

main().catch((err) => {
  process.stderr.write(`s3rver failed to start: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
