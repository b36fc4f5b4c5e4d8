// The uploader's public shapes.
import type { Readable } from 'node:stream';

/** Any pino-like logger. The SDK never logs unless given one, and never logs a secret. */
export interface SdkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface UploaderOptions {
  /** The VOD API endpoint, e.g. http://127.0.0.1:8080 or https://vod.cn-shanghai.aliyuncs.com */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  logger?: SdkLogger;
  /**
   * Multipart part size in bytes, at least 100 KiB. Default: 8 MiB for files; 4 MiB for streams
   * and URLs (more when a declared size needs it to stay within 10,000 parts).
   */
  partSize?: number;
  /** Parts in flight at once; default 4. A stream holds at most `parallel + 1` parts in memory (20 MiB by default). */
  parallel?: number;
  /** Where file uploads keep their checkpoints; without it an interrupted upload starts over. */
  checkpointDir?: string;
  /** Refresh the upload credential when it has less than this left; default 5 minutes. */
  credentialRefreshMarginMs?: number;
}

export interface UploadMetadata {
  title: string;
  description?: string;
  /** Comma-separated, or an array. */
  tags?: string | readonly string[];
  cateId?: number;
  coverUrl?: string;
  templateGroupId?: string;
  /** A JSON string or an object (serialised). */
  userData?: string | Record<string, unknown>;
  storageLocation?: string;
  appId?: string;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface UploadProgress {
  videoId: string;
  /** Bytes the server has acknowledged (whole parts). On a resumed upload, includes earlier runs. */
  bytesSent: number;
  /** Undefined for a stream of unknown size. */
  totalBytes: number | undefined;
  /** True when this run continued an earlier, interrupted one. */
  resumed: boolean;
}

export type StreamUploadOptions = Omit<UploadMetadata, 'title'> & {
  title?: string;
  /** The source file name; its extension tells the server the format (e.g. `clip.mp4`). */
  fileName: string;
  /** Declared size; the upload fails with Upload.SizeMismatch if the stream differs. */
  size?: number;
};

export type UrlUploadOptions = Omit<UploadMetadata, 'title'> & {
  /** Default: the URL's file name. */
  title?: string;
  /** Default: the URL's file name (its extension must be an audio/video format). */
  fileName?: string;
};

export interface UploadResult {
  videoId: string;
  size: number;
  /** Hex MD5 of the bytes sent, where they passed through the uploader in order (stream, URL). */
  md5?: string;
  /** True when a file upload continued an earlier run. */
  resumed?: boolean;
}

export interface Uploader {
  uploadFile(path: string, options: UploadMetadata): Promise<UploadResult>;
  uploadStream(source: Readable | AsyncIterable<Uint8Array>, options: StreamUploadOptions): Promise<UploadResult>;
  uploadUrl(url: string, options?: UrlUploadOptions): Promise<UploadResult>;
}
