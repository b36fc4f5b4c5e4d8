// Small real media, generated with ffmpeg at test time (lavfi testsrc2 + sine), plus non-media
// files for the failure paths. Each maker returns the path; within a process, the same spec in
// the same directory is generated once (concurrent callers share the promise).
import { execFile } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { locateTool } from '../../src/media/ffmpeg-binaries.js';

const run = promisify(execFile);

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

/** ffmpeg/ffprobe as the server would find them without configuration (PATH, else npm). */
export function mediaTools(): MediaTools {
  return {
    ffmpegPath: locateTool('ffmpeg', { pathEnv: process.env.PATH }).path,
    ffprobePath: locateTool('ffprobe', { pathEnv: process.env.PATH }).path,
  };
}

export type VideoContainer = 'mp4' | 'webm' | 'mov' | 'flv' | 'mkv';

export interface VideoSpec {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  audio?: boolean;
  container?: VideoContainer;
  /** Clockwise display rotation, stored as a display matrix (mp4/mov only): ffprobe then reports rotation −90 for 90. */
  rotate?: 90 | 180 | 270;
}

export interface AudioSpec {
  seconds?: number;
  format: 'mp3' | 'm4a';
  /** Embed a 64×64 JPEG cover as an attached picture. */
  cover?: boolean;
}

const cache = new Map<string, Promise<string>>();

function cached(dir: string, name: string, make: (path: string) => Promise<void>): Promise<string> {
  const path = join(dir, name);
  let pending = cache.get(path);
  if (!pending) {
    pending = (async () => {
      const tmp = join(dir, `.${randomBytes(4).toString('hex')}-${name}`);
      try {
        await make(tmp);
        await rename(tmp, path);
        return path;
      } catch (err) {
        await rm(tmp, { force: true });
        cache.delete(path);
        throw err;
      }
    })();
    cache.set(path, pending);
  }
  return pending;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(mediaTools().ffmpegPath, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { timeout: 60_000 });
}

const VIDEO_CODECS: Record<VideoContainer, { video: string[]; audio: string[]; sampleRate: number; extra: string[] }> = {
  mp4: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac', '-b:a', '64k'], sampleRate: 48000, extra: ['-movflags', '+faststart'] },
  mov: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac', '-b:a', '64k'], sampleRate: 48000, extra: ['-movflags', '+faststart'] },
  mkv: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac', '-b:a', '64k'], sampleRate: 48000, extra: [] },
  flv: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac', '-b:a', '64k'], sampleRate: 44100, extra: [] },
  webm: {
    video: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'],
    audio: ['-c:a', 'libopus', '-b:a', '48k'],
    sampleRate: 48000,
    extra: [],
  },
};

export function makeVideo(dir: string, spec: VideoSpec = {}): Promise<string> {
  const { seconds = 2, width = 320, height = 240, fps = 25, audio = true, container = 'mp4', rotate } = spec;
  if (rotate !== undefined && container !== 'mp4' && container !== 'mov') throw new Error(`rotate is only supported for mp4/mov, not ${container}`);
  const name = `video-${seconds}s-${width}x${height}-${fps}fps${audio ? '-a' : ''}${rotate ? `-r${rotate}` : ''}.${container}`;
  return cached(dir, name, async (out) => {
    const codecs = VIDEO_CODECS[container];
    const inputs = ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`];
    if (audio) inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${codecs.sampleRate}:duration=${seconds}`);
    const encode = [...inputs, ...codecs.video, '-pix_fmt', 'yuv420p', '-g', String(fps), ...(audio ? codecs.audio : []), ...codecs.extra, '-f', formatFlag(container)];
    if (rotate === undefined) return ffmpeg([...encode, out]);
    const plain = `${out}.plain.${container}`;
    try {
      await ffmpeg([...encode, plain]);
      await writeRotated(plain, out, rotate, container);
    } finally {
      await rm(plain, { force: true });
    }
  });
}

const formatFlag = (c: VideoContainer): string => (c === 'mkv' ? 'matroska' : c);

/**
 * Re-muxes with a display matrix. ffmpeg versions disagree on the sign of the `rotate` stream
 * metadata (5.x writes it counter-clockwise, 4.x clockwise), so write it, read it back, and flip
 * it if it came out the wrong way.
 */
async function writeRotated(input: string, out: string, clockwise: number, container: VideoContainer): Promise<void> {
  for (const tagValue of [clockwise, (360 - clockwise) % 360]) {
    await ffmpeg(['-i', input, '-map', '0', '-c', 'copy', `-metadata:s:v:0`, `rotate=${tagValue}`, '-movflags', '+faststart', '-f', container, out]);
    if (probedClockwise(await probeJson(out)) === clockwise) return;
  }
  throw new Error(`could not write a ${clockwise}° display matrix with this ffmpeg`);
}

function probedClockwise(json: unknown): number | undefined {
  const streams = (json as { streams?: { codec_type?: string; side_data_list?: { rotation?: number }[]; tags?: { rotate?: string } }[] }).streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const rotation = video?.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  if (rotation !== undefined) return (((-rotation) % 360) + 360) % 360;
  return video?.tags?.rotate === undefined ? undefined : Number(video.tags.rotate);
}

/** Raw ffprobe JSON (format + streams) for a file, as the fixtures in test/fixtures/ffprobe were made. */
export async function probeJson(path: string, extraArgs: string[] = []): Promise<unknown> {
  const { stdout } = await run(mediaTools().ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...extraArgs, path], { timeout: 30_000 });
  return JSON.parse(stdout) as unknown;
}

export function makeAudio(dir: string, spec: AudioSpec): Promise<string> {
  const { seconds = 2, format, cover = false } = spec;
  const name = `audio-${seconds}s${cover ? '-cover' : ''}.${format}`;
  return cached(dir, name, async (out) => {
    const sine = ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`];
    const codec = format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '64k'] : ['-c:a', 'aac', '-b:a', '64k'];
    const muxer = format === 'mp3' ? ['-id3v2_version', '3', '-f', 'mp3'] : ['-movflags', '+faststart', '-f', 'ipod'];
    if (!cover) return ffmpeg([...sine, ...codec, ...muxer, out]);
    const picture = ['-f', 'lavfi', '-i', 'color=c=red:size=64x64:duration=1'];
    await ffmpeg([...sine, ...picture, '-map', '0:a', '-map', '1:v', '-frames:v', '1', ...codec, '-c:v', 'mjpeg', '-disposition:v:0', 'attached_pic', ...muxer, out]);
  });
}

/** A 64×48 PNG: an image, not a video. */
export function makeImage(dir: string): Promise<string> {
  return cached(dir, 'image.png', (out) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=1', '-frames:v', '1', '-f', 'image2', out]));
}

export function makeHtml(dir: string): Promise<string> {
  return cached(dir, 'page.html', (out) =>
    writeFile(out, '<!doctype html>\n<html><head><title>Not a video</title></head>\n<body><h1>Moved</h1><p>This is a web page, not media.</p></body></html>\n'),
  );
}

/** A SubRip file: ffprobe reads it (one subtitle stream) but it has no audio or video. */
export function makeSubtitles(dir: string): Promise<string> {
  return cached(dir, 'captions.srt', (out) => writeFile(out, '1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n2\n00:00:01,500 --> 00:00:03,000\nGoodbye.\n'));
}

/** `bytes` of random data (seeded per size, so the file is the same on every run). */
export function makeGarbage(dir: string, bytes: number): Promise<string> {
  return cached(dir, `garbage-${bytes}.bin`, async (out) => {
    const data = Buffer.alloc(bytes);
    let x = 0x9e3779b9 ^ bytes;
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = x & 0xff;
    }
    await writeFile(out, data);
  });
}

/** Pids of live processes whose command line contains `marker` (Linux /proc; [] elsewhere). */
export function processesMatching(marker: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const status = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(marker) && !/^\d+ \(.*\) Z /.test(status)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

export interface MediaOrigin {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** URL serving `path` (a file under the origin's dir) with Range support. */
  fileUrl(path: string, query?: string): string;
  /** URL that answers 200 with a large Content-Length and then never sends a byte. */
  stallUrl(token: string): string;
  close(): Promise<void>;
}

/**
 * A loopback origin on a free port: `/files/<name>` serves files from `dir` (single byte ranges,
 * as real origins and ffmpeg's mp4 demuxer expect), `/stall/<token>` stalls forever, anything
 * else is 404.
 */
export async function startMediaOrigin(dir: string): Promise<MediaOrigin> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://origin').pathname;
      if (path.startsWith('/stall/')) {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000000' });
        res.flushHeaders();
        return; // never a byte of body
      }
      const name = path.startsWith('/files/') ? decodeURIComponent(path.slice('/files/'.length)) : '';
      const size = name && !name.includes('/') ? await stat(join(dir, name)).then((s) => s.size, () => undefined) : undefined;
      if (size === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      let start = 0;
      let end = size - 1;
      if (range && (range[1] || range[2])) {
        start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
        end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
        if (start >= size || start > end) {
          res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
          return;
        }
        res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' });
      } else {
        res.writeHead(200, { 'content-length': String(size), 'accept-ranges': 'bytes' });
      }
      if (req.method === 'HEAD') return void res.end();
      createReadStream(join(dir, name), { start, end }).on('error', () => res.destroy()).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    fileUrl: (path, query) => `${url}/files/${encodeURIComponent(basename(path))}${query ? `?${query}` : ''}`,
    stallUrl: (token) => `${url}/stall/${token}.mp4`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes; returns the last answer. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
