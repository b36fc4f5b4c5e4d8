// File extensions accepted for audio/video sources (the formats ApsaraVideo lists for upload).
export const VIDEO_EXTENSIONS = [
  '3gp', 'asf', 'avi', 'dat', 'dv', 'f4v', 'flv', 'gif', 'm2t', 'm2ts', 'm3u8', 'm4v', 'mj2', 'mjpeg', 'mkv', 'mov', 'mp4',
  'mpe', 'mpeg', 'mpg', 'mts', 'mxf', 'ogg', 'ogv', 'qt', 'rm', 'rmvb', 'swf', 'ts', 'vob', 'webm', 'wmv',
] as const;
export const AUDIO_EXTENSIONS = ['aac', 'ac3', 'acm', 'amr', 'ape', 'caf', 'flac', 'm4a', 'mp3', 'oga', 'opus', 'ra', 'wav', 'wma'] as const;

const ALL = new Set<string>([...VIDEO_EXTENSIONS, ...AUDIO_EXTENSIONS]);

export const isMediaExtension = (ext: string): boolean => ALL.has(ext.toLowerCase());

/** The extension of a URL's path (`https://h/a/b.MP4?x` → `mp4`), or undefined. */
export function urlExtension(url: URL): string | undefined {
  const last = decodeURIComponent(url.pathname).split('/').pop() ?? '';
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(last);
  return m?.[1]?.toLowerCase();
}

/** The file name of a URL's path without extension, for a default title. */
export function urlBaseName(url: URL): string {
  let last = url.pathname.split('/').filter(Boolean).pop() ?? url.hostname;
  try {
    last = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  return last.replace(/\.[A-Za-z0-9]{1,10}$/, '') || url.hostname;
}
