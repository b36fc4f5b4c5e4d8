// Where ffmpeg and ffprobe come from: OPENVOD_FFMPEG_PATH / OPENVOD_FFPROBE_PATH when set (passed
// in by config), else — with the default preference `path` — the first on PATH, else the binaries
// shipped inside the npm packages @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (older,
// statically linked builds; a fallback so that `npm ci` alone is enough).
//
// Preference `bundled` (media.tools) turns that round: the npm binaries first, with the PATH ones as
// a per-file fallback. A distribution's ffmpeg is usually linked against a couple of hundred shared
// libraries, and loading them costs each run ≈ 40–70 ms of CPU depending on the machine (Debian 12:
// probing a short MP4 42–69 ms, the static one 8; ≈ 27 with the libraries preloaded in the order
// library-order.ts checks); a video costs two runs (probe, cover), which dominates small files. The
// price: the bundled builds are older and get no security updates, while they parse media from
// wherever the sources came from — so it is a choice, not the default.
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { elfLinking } from './elf-linking.js';
import { libraryPreload } from './library-order.js';

export type MediaTool = 'ffmpeg' | 'ffprobe';
export type ToolPreference = 'path' | 'bundled';

export interface ToolLocation {
  path: string;
  source: 'configured' | 'PATH' | 'npm';
}

/** The binary to run, and the one to try a file on when that one cannot read it. */
export interface ToolChoice {
  primary: ToolLocation;
  fallback?: ToolLocation | undefined;
}

const NPM_PACKAGES: Record<MediaTool, string> = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' };

export interface LocateOptions {
  configured?: string | undefined;
  pathEnv?: string | undefined;
  /** Default `path`. */
  prefer?: ToolPreference | undefined;
}

/**
 * A configured path alone. `path`: the PATH binary, else the bundled one, no fallback (a file the
 * patched system build refuses is not handed to an unpatched one). `bundled`: the bundled binary
 * with the PATH one as fallback, or the PATH one alone when no bundled build exists for this
 * platform. Throws when there is neither.
 */
export function chooseTool(tool: MediaTool, opts: LocateOptions = {}): ToolChoice {
  if (opts.configured) return { primary: { path: opts.configured, source: 'configured' } };
  const onPath = findOnPath(tool, opts.pathEnv);
  const bundled = opts.prefer === 'bundled' || !onPath ? bundledTool(tool) : undefined;
  if (bundled && opts.prefer === 'bundled') return { primary: bundled, fallback: onPath };
  if (onPath) return { primary: onPath };
  if (bundled) return { primary: bundled };
  throw new Error(`${tool} was not found: not on PATH, and the npm package ${NPM_PACKAGES[tool]} has no binary for ${process.platform}-${process.arch}`);
}

/** The binary `chooseTool` runs first with the default preference. */
export function locateTool(tool: MediaTool, opts: Omit<LocateOptions, 'prefer'> = {}): ToolLocation {
  return chooseTool(tool, opts).primary;
}

function findOnPath(tool: MediaTool, pathEnv: string | undefined): ToolLocation | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  return undefined;
}

/** The npm package's binary, when the package is installed for this platform and it is executable. */
function bundledTool(tool: MediaTool): ToolLocation | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(NPM_PACKAGES[tool]) as { path?: unknown };
    return typeof pkg.path === 'string' && isExecutable(pkg.path) ? { path: pkg.path, source: 'npm' } : undefined;
  } catch {
    return undefined; // no build for this platform: the package's index throws
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * What to change in the environment a media tool runs in. A dynamically linked one gets its
 * libraries preloaded in a faster order once that order has been checked (library-order.ts);
 * until then, and for anything else that is not a static binary, nothing (undefined). A
 * statically linked binary gets GCONV_PATH pointed at nothing. Its own glibc would otherwise load
 * the system's gconv modules (shared objects built for the system's glibc) the first time the tool
 * converts a character set — the bundled ffprobe crashed with SIGSEGV on every MPEG-TS file (the
 * demuxer converts service names) until this. UTF-8 and Latin-1, which glibc has built in, still
 * work.
 */
export function toolEnv(path: string): Record<string, string> | undefined {
  switch (elfLinking(path)) {
    case 'static':
      return { GCONV_PATH: '/nonexistent/openvod-no-gconv' };
    case 'dynamic': {
      const preload = libraryPreload(path);
      return preload === undefined ? undefined : { LD_PRELOAD: preload };
    }
    default:
      return undefined;
  }
}
