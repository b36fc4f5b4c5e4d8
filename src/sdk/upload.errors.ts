// Errors the uploader throws. Each has a stable code; API refusals stay `VodApiError` (from
// rpc-client) and OSS refusals are wrapped here with the OSS code kept in `ossCode`.
export type UploadErrorCode =
  | 'Upload.Aborted' //          the caller's AbortSignal fired; a file upload can be resumed
  | 'Upload.InvalidSource' //    no such file, empty file, not a regular file, bad URL
  | 'Upload.SourceFailed' //     reading the stream or fetching the URL failed
  | 'Upload.SizeMismatch' //     the stream ended with a different byte count than declared
  | 'Upload.TransferFailed' //   the OSS endpoint refused or the connection failed
  | 'Upload.InvalidResponse'; // the API answered something that is not an upload address/credential

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly code: UploadErrorCode,
    message: string,
    options: { cause?: unknown; ossCode?: string; httpStatus?: number } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.ossCode = options.ossCode;
    this.httpStatus = options.httpStatus;
  }
  readonly ossCode: string | undefined;
  readonly httpStatus: number | undefined;
}

/** ali-oss rejects with plain objects or Errors carrying `name`/`code`/`status`. */
interface OssFailure { code?: unknown; status?: unknown; message?: unknown }

export function ossFailure(e: unknown, what: string): UploadError {
  if (e instanceof UploadError) return e;
  const f = (typeof e === 'object' && e !== null ? e : {}) as OssFailure;
  const ossCode = typeof f.code === 'string' ? f.code : undefined;
  const httpStatus = typeof f.status === 'number' ? f.status : undefined;
  const detail = typeof f.message === 'string' ? f.message : String(e);
  return new UploadError('Upload.TransferFailed', `${what}: ${ossCode ? `${ossCode} ` : ''}${detail}`, { cause: e, ossCode, httpStatus });
}
