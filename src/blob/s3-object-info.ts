// What the S3 store keeps beside each object it writes, and how a HEAD becomes a BlobInfo.
//
// The etag contract (blob-store.ts): an object written by put()/putFile() reports the lowercase
// hex MD5 of its content. The S3 ETag is that MD5 only for single-part, unencrypted uploads
// (a multipart ETag is `<md5 of the parts' MD5s>-<part count>`), so the store keeps the MD5 in
// user metadata, `x-amz-meta-openvod-md5`. Objects without it report their S3 ETag, unquoted:
// 32 hex digits for a single-part upload (its MD5), with a `-` for a multipart one. Those are
// objects written by anyone else, and multipart ones written by putFile() with skipMd5.
//
// S3 gives every object a Content-Type (`binary/octet-stream` or `application/octet-stream`
// when none was sent), so an object written without one is marked `x-amz-meta-openvod-untyped`
// and reports `contentType: undefined`, as the port wants.

import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { BlobInfo } from './blob-store.js';

const MD5_META = 'openvod-md5';
const UNTYPED_META = 'openvod-untyped';
const MD5_HEX = /^[0-9a-f]{32}$/u;

/** User metadata for an object the store writes (`md5Hex` when already known). */
export function objectMetadata(md5Hex: string | undefined, contentType: string | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (md5Hex !== undefined) metadata[MD5_META] = md5Hex;
  if (contentType === undefined) metadata[UNTYPED_META] = '1';
  return metadata;
}

/** `"abc"` → `abc` (also W/ weak tags, which some S3-compatible servers send). */
export function unquoteEtag(etag: string): string;
export function unquoteEtag(etag: string | undefined): string | undefined;
export function unquoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//u, '').replace(/^"(.*)"$/u, '$1');
}

/** S3 dates have whole seconds in HTTP headers; listings are cut to match (same value everywhere). */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function infoFromHead(key: string, head: HeadObjectCommandOutput): BlobInfo {
  const metadata = head.Metadata ?? {};
  const size = head.ContentLength ?? 0;
  const lastModified = wholeSeconds(head.LastModified ?? new Date(0));
  const md5 = metadata[MD5_META];
  const s3Etag = unquoteEtag(head.ETag);
  return {
    key,
    size,
    // No ETag at all (a non-conforming server): still a validator that changes with the object.
    etag: md5 !== undefined && MD5_HEX.test(md5) ? md5 : (s3Etag ?? `${size.toString(16)}-${lastModified.getTime().toString(16)}`),
    lastModified,
    contentType: metadata[UNTYPED_META] === '1' ? undefined : head.ContentType,
  };
}
