// Summarises a V8 .cpuprofile (as written by `node --cpu-prof`): self time per function, self
// time per area (npm package, our src/ folder, Node internals, GC), and inclusive time of our own
// src/ functions. Only samples inside the given windows count, so start-up and the idle time
// while the other target is measured stay out. Window bounds are CLOCK_MONOTONIC microseconds
// (`process.hrtime`), the clock V8 stamps its samples with.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeWindowUs {
  startUs: number;
  endUs: number;
}

export interface Share {
  name: string;
  ms: number;
  /** Of the busy (non-idle) sampled time. */
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time inside the windows, idle excluded. */
  busyMs: number;
  idleMs: number;
  /** False when no sample fell inside the windows and the whole profile was used. */
  windowed: boolean;
  topSelf: Share[];
  areas: Share[];
  ownInclusive: Share[];
}

const IDLE = '(idle)';

export function summariseProfile(profile: CpuProfile, windows: readonly TimeWindowUs[], repoRoot: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const timed = sampleDurations(profile);
  const inWindow = timed.filter((s) => windows.some((w) => s.atUs >= w.startUs && s.atUs < w.endUs));
  const used = inWindow.length > 0 ? inWindow : timed;

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  for (const { nodeId, us } of used) {
    const node = byId.get(nodeId);
    if (!node) continue;
    if (node.callFrame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    add(self, frameName(node.callFrame, repoRoot), us);
    add(areas, areaOf(node.callFrame, repoRoot), us);
    const seen = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || !frame.url.includes(`${repoRoot}/src/`)) continue;
      const name = frameName(frame, repoRoot);
      if (!seen.has(name)) {
        seen.add(name);
        add(inclusive, name, us);
      }
    }
  }
  const shares = (m: Map<string, number>, n: number): Share[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    windowed: inWindow.length > 0,
    topSelf: shares(self, top),
    areas: shares(areas, top),
    ownInclusive: shares(inclusive, top),
  };
}

/** Each sample's node, its timestamp, and the time until the next sample (what it stands for). */
function sampleDurations(profile: CpuProfile): Array<{ nodeId: number; atUs: number; us: number }> {
  const out: Array<{ nodeId: number; atUs: number; us: number }> = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1] ?? Math.max(0, profile.endTime - at);
    out.push({ nodeId: profile.samples[i] as number, atUs: at, us: Math.max(0, next) });
  }
  return out;
}

const add = (m: Map<string, number>, key: string, us: number): void => {
  m.set(key, (m.get(key) ?? 0) + us);
};

function shortUrl(url: string, repoRoot: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  return path.startsWith(`${repoRoot}/`) ? path.slice(repoRoot.length + 1) : path;
}

function frameName(frame: CallFrame, repoRoot: string): string {
  const fn = frame.functionName || '(anonymous)';
  if (frame.url === '') return fn;
  // tsx-loaded sources report line 0 for every function; a line is only shown when it means one.
  return frame.lineNumber > 0 ? `${fn}  ${shortUrl(frame.url, repoRoot)}:${frame.lineNumber + 1}` : `${fn}  ${shortUrl(frame.url, repoRoot)}`;
}

function areaOf(frame: CallFrame, repoRoot: string): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(V8 builtins / native)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? path);
  }
  if (path.startsWith(`${repoRoot}/`)) {
    const rel = path.slice(repoRoot.length + 1).split('/');
    return rel.slice(0, Math.min(3, rel.length - 1)).join('/') || rel.join('/');
  }
  return path;
}

export function parseProfile(text: string): CpuProfile {
  const p = JSON.parse(text) as Partial<CpuProfile>;
  if (!Array.isArray(p.nodes) || !Array.isArray(p.samples) || !Array.isArray(p.timeDeltas) || typeof p.startTime !== 'number') {
    throw new Error('not a V8 .cpuprofile');
  }
  return p as CpuProfile;
}
