// Where ffmpeg and ffprobe come from: OPENVOD_FFMPEG_PATH / OPENVOD_FFPROBE_PATH when set (passed
// in by config), else the first on PATH, else the binaries shipped inside the npm packages
// @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (older builds; a fallback so that
// `npm ci` alone is enough).
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export type MediaTool = 'ffmpeg' | 'ffprobe';

export interface ToolLocation {
  path: string;
  source: 'configured' | 'PATH' | 'npm';
}

const NPM_PACKAGES: Record<MediaTool, string> = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' };

export function locateTool(tool: MediaTool, opts: { configured?: string | undefined; pathEnv?: string | undefined } = {}): ToolLocation {
  if (opts.configured) return { path: opts.configured, source: 'configured' };
  for (const dir of (opts.pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const require = createRequire(import.meta.url);
  const pkg = require(NPM_PACKAGES[tool]) as { path: string };
  return { path: pkg.path, source: 'npm' };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
