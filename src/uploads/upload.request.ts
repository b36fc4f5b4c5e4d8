// Validation of CreateUploadVideo / CreateUploadImage parameters (reference §3). Pure: throws
// ApiError, touches nothing.
import { ApiError, invalid } from '../domain/errors.js';
import { isMediaExtension } from '../domain/media-formats.js';

/** `D:\video_01.MP4` → `mp4`; undefined when the name has no extension. */
export function fileNameExtension(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return /\.([A-Za-z0-9]{1,10})$/.exec(base)?.[1]?.toLowerCase();
}

/** The base name without extension (for a default image title). */
export const fileNameBase = (fileName: string): string => (fileName.split(/[\\/]/).pop() ?? '').replace(/\.[A-Za-z0-9]{1,10}$/, '');

export function videoExtension(fileName: string): string {
  if (Buffer.byteLength(fileName) > 1024) throw new ApiError('LengthExceededMax', 'The FileName exceeds the maximum length of 1024 bytes.');
  const ext = fileNameExtension(fileName);
  if (ext === undefined || !isMediaExtension(ext)) {
    throw new ApiError('InvalidFileName.Extension', `The FileName "${fileName.slice(0, 200)}" has no supported audio or video extension.`);
  }
  return ext;
}

export const IMAGE_TYPES = ['default', 'cover'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'heic', 'webp'] as const;

export function imageType(value: string): ImageType {
  if (!(IMAGE_TYPES as readonly string[]).includes(value)) {
    throw new ApiError('InvalidImageType.NotFound', `ImageType "${value.slice(0, 50)}" is not supported; use default or cover.`);
  }
  return value as ImageType;
}

/** ImageExt wins over the OriginalFileName's extension; png when neither gives one. */
export function imageExtension(imageExt: string | undefined, originalFileName: string | undefined): string {
  if (imageExt !== undefined) {
    const ext = imageExt.replace(/^\./, '').toLowerCase();
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) throw invalid('ImageExt', `It must be one of ${IMAGE_EXTENSIONS.join(', ')}.`);
    return ext;
  }
  const fromName = originalFileName === undefined ? undefined : fileNameExtension(originalFileName);
  if (fromName !== undefined) {
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(fromName)) {
      throw new ApiError('InvalidFileName.Extension', `The OriginalFileName extension "${fromName}" is not a supported image format (${IMAGE_EXTENSIONS.join(', ')}).`);
    }
    return fromName;
  }
  return 'png';
}

/** ReferenceId: 6–64 of letters, digits, `-` and `_`. */
export function checkReferenceId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(value)) throw invalid('ReferenceId', 'It must be 6 to 64 letters, digits, "-" or "_".');
  return value;
}

export function checkFileSize(value: string | undefined, maxBytes: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) throw invalid('FileSize', 'It must be a number of bytes.');
  const n = Number(value);
  if (n > maxBytes) throw invalid('FileSize', `It exceeds the largest object accepted (${maxBytes} bytes).`);
  return n;
}
