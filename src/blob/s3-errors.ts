// S3 SDK errors as BlobStore errors. The SDK throws service exceptions named after the S3
// error code (`NoSuchKey`, `InvalidRange` …; a HEAD has no body, so a missing object is just
// `NotFound`/404); anything that is not one of the outcomes the port names becomes a
// BlobStorageError with the original as `cause`.

import { BlobStorageError } from './blob-errors.js';

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  ActualObjectSize?: unknown;
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

export function httpStatusOf(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string | undefined {
  const name = shape(error).name;
  return typeof name === 'string' ? name : undefined;
}

/** 404s that are not about the object: a missing bucket is a configuration problem. */
const OTHER_NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchUpload']);

/** A missing object. (A HEAD has no body: there a missing bucket looks the same, `NotFound`.) */
export function isNoSuchKey(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return httpStatusOf(error) === 404 && !OTHER_NOT_FOUND.has(name ?? '');
}

export function isInvalidRange(error: unknown): boolean {
  return nameOf(error) === 'InvalidRange' || httpStatusOf(error) === 416;
}

/** An `If-Match`-style condition failed: the object changed. */
export function isPreconditionFailed(error: unknown): boolean {
  return nameOf(error) === 'PreconditionFailed' || httpStatusOf(error) === 412;
}

export function isSdkAbort(error: unknown): boolean {
  return nameOf(error) === 'AbortError';
}

/** The object size S3 reports with an InvalidRange error, if any. */
export function actualObjectSize(error: unknown): number | undefined {
  const size = Number(shape(error).ActualObjectSize);
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

export function storageError(action: string, error: unknown): BlobStorageError {
  return new BlobStorageError(`${action} failed: ${describeS3Error(error)}`, { cause: error });
}

export function describeS3Error(error: unknown): string {
  const status = httpStatusOf(error);
  const name = nameOf(error);
  const message = shape(error).message;
  const text = typeof message === 'string' && message !== '' && message !== 'UnknownError' ? message : String(error);
  return `${name !== undefined && !text.startsWith(name) ? `${name}: ` : ''}${text}${status === undefined ? '' : ` (HTTP ${status})`}`;
}
