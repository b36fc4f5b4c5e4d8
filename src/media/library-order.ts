// Faster starts for a dynamically linked ffmpeg/ffprobe: its shared libraries are preloaded in the
// order that lets the dynamic linker find symbols soonest.
//
// A distribution's ffmpeg is linked against ≈ 200 shared libraries, with BIND_NOW (Debian 12). At
// every start the dynamic linker resolves ≈ 43,000 symbol references, each by walking the
// libraries in load order — breadth first from the executable, so libc, which answers the most,
// comes near the end — until one defines the symbol. That walk was more than half of a 37 ms
// `ffmpeg -version` (`perf`: do_lookup_x), and every pulled, uploaded or registered video starts
// two such tools. Libraries named in LD_PRELOAD are searched first, in the order given: ordered by
// how many references each answers, the same start takes ≈ 22 ms.
//
// Safe by checking, not by assuming. The search order also decides which library a symbol binds
// to when two define it (libm and libc both define `frexp`), so an order is used only once it has
// been seen to bind every reference exactly as the default order does: the tool runs `-version`
// with LD_BIND_NOW=1 (every reference resolved at start) and LD_DEBUG=bindings (each resolution
// reported) without and with the order; where a binding moved, the library it came from is put
// before the one it went to, and the order is checked again, for a few rounds at most. Anything
// unexpected — a run that fails, output that differs, a binding that cannot be put back,
// LD_PRELOAD already set — and the tool keeps starting as it always did. What can still differ is
// the relative order in which unrelated libraries' initialisers run (each library's dependencies
// are still initialised before it).
//
// The check runs in the background when a server first starts the tool (≈ 0.9 s of CPU for
// Debian's ffmpeg, its own runs included: it pays for itself after ≈ 60 starts); tools started
// before it ends run without the preload.
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfLinking } from './elf-linking.js';
import { toolRunner } from './tool-runner.js';

export type LibraryOrderOutcome =
  | { kind: 'ordered'; libraries: number; references: number; rounds: number; ms: number }
  | { kind: 'skipped'; reason: string };

/** A traced reference (`<object>\t<symbol>\t<version>`) → the library it bound to. */
export type Bindings = Map<string, string>;

export interface Trace {
  bindings: Bindings;
  /** Lookups answered per library (one per reported binding line). */
  answered: Map<string, number>;
}

/** Rounds of reorder-and-check before giving up. */
const MAX_ROUNDS = 6;
const TRACE_TIMEOUT_MS = 30_000;

/** Tool path → the checked LD_PRELOAD value, and the state of the files it was checked against. */
const ready = new Map<string, { preload: string; files: string }>();
const started = new Map<string, Promise<LibraryOrderOutcome>>();
let onFirstUse: ((path: string, outcome: LibraryOrderOutcome) => void) | undefined;

/**
 * From now on, the first `libraryPreload` of a path starts its check in the background, and
 * `report` hears how it ended. Off until called (the server calls it unless `media.preloadLibraries`
 * is false), so a process that never runs a tool never pays for a check.
 */
export function orderLibrariesOnFirstUse(report: (path: string, outcome: LibraryOrderOutcome) => void): void {
  onFirstUse = report;
}

/**
 * The LD_PRELOAD value for `path` once its order has been checked; undefined before, or when there
 * is none. An order is dropped, and checked again, once the tool or the dynamic linker's cache
 * (which ldconfig rewrites whenever libraries are installed or upgraded) is no longer the file it
 * was checked with.
 */
export function libraryPreload(path: string): string | undefined {
  const order = ready.get(path);
  if (order !== undefined && order.files !== filesState(path)) {
    ready.delete(path);
    started.delete(path);
  }
  if (!ready.has(path) && onFirstUse !== undefined && !started.has(path)) {
    const report = onFirstUse;
    void orderLibraries(path).then((outcome) => report(path, outcome));
  }
  return ready.get(path)?.preload;
}

const LINKER_CACHE = '/etc/ld.so.cache';

/** Identity and version of the tool's file and of the linker's cache, as one string. */
function filesState(path: string): string {
  return [path, LINKER_CACHE].map((file) => {
    const st = statSync(file, { throwIfNoEntry: false });
    return st === undefined ? '-' : `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  }).join(' ');
}

/** Finds and checks the order for `path` (once per path and process); `libraryPreload` answers once it is ordered. */
export function orderLibraries(path: string): Promise<LibraryOrderOutcome> {
  let outcome = started.get(path);
  if (outcome === undefined) {
    outcome = findOrder(path).catch((err: unknown) => ({ kind: 'skipped', reason: err instanceof Skip ? err.message : `failed: ${(err as Error).message}` }) as const);
    started.set(path, outcome);
  }
  return outcome;
}

class Skip extends Error {}

async function findOrder(path: string): Promise<LibraryOrderOutcome> {
  if (process.platform !== 'linux') throw new Skip(`not Linux (${process.platform})`);
  if (elfLinking(path) !== 'dynamic') throw new Skip('not a dynamically linked executable');
  if (process.env.LD_PRELOAD) throw new Skip('LD_PRELOAD is already set');
  const t0 = performance.now();
  const files = filesState(path);
  const dir = await mkdtemp(join(tmpdir(), 'openvod-ld-'));
  try {
    const base = await traceRun(path, dir, 'base', undefined);
    const { answered } = base.trace;
    const candidates = [...base.trace.answered.keys()].filter((lib) => preloadable(lib, path));
    const odd = candidates.find((lib) => /[\s:]/.test(lib));
    if (odd !== undefined) throw new Skip(`a library path LD_PRELOAD cannot list: ${odd}`);
    const before = new Map<string, Set<string>>();
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const order = preloadOrder(candidates, answered, before);
      if (order === undefined) throw new Skip('the bindings ask for contradictory orders');
      const preload = order.join(' ');
      const trial = await traceRun(path, dir, `round${round}`, preload);
      if (trial.stdout !== base.stdout) throw new Skip('the tool printed something else with the libraries preloaded');
      const moved = movedBindings(base.trace.bindings, trial.trace.bindings);
      if (moved === 'different') throw new Skip('the set of bound references changed with the libraries preloaded');
      if (moved.length === 0) {
        ready.set(path, { preload, files });
        return { kind: 'ordered', libraries: order.length, references: base.trace.bindings.size, rounds: round, ms: Math.round(performance.now() - t0) };
      }
      for (const { from, to } of moved) {
        if (!candidates.includes(from)) throw new Skip(`a symbol moved away from ${from}, which cannot be preloaded`);
        let after = before.get(to);
        if (after === undefined) before.set(to, (after = new Set()));
        after.add(from);
      }
    }
    throw new Skip(`bindings still moved after ${MAX_ROUNDS} rounds`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A library the dynamic linker can take from LD_PRELOAD: a file, not the executable itself, the dynamic linker or the vDSO. */
function preloadable(lib: string, executable: string): boolean {
  return lib.startsWith('/') && lib !== executable && !/\/ld-[^/]*\.so[^/]*$/.test(lib);
}

async function traceRun(path: string, dir: string, prefix: string, preload: string | undefined): Promise<{ stdout: string; trace: Trace }> {
  const env: Record<string, string> = { LD_BIND_NOW: '1', LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, prefix) };
  if (preload !== undefined) env.LD_PRELOAD = preload;
  const reply = await toolRunner().run({ path, args: ['-version'], env, timeoutMs: TRACE_TIMEOUT_MS, maxStdoutBytes: 1 << 20 }).reply;
  if (reply.kind === 'spawn-failed') throw new Skip(`could not run it: ${reply.message}`);
  if (reply.kind !== 'exited' || reply.exitCode !== 0) throw new Skip(`\`-version\` ended with ${reply.kind === 'exited' ? `code ${reply.exitCode ?? reply.exitSignal}` : reply.kind}`);
  // The dynamic linker writes to <prefix>.<pid>; a tool that started others would leave several.
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${prefix}.`));
  if (files.length !== 1) throw new Skip(`expected one trace of the dynamic linker, found ${files.length}`);
  const file = join(dir, files[0] as string);
  const trace = await readTrace(file);
  await rm(file);
  return { stdout: reply.stdout, trace };
}

/** Parses the file a chunk at a time (≈ 8 MB for Debian's ffmpeg), so that the event loop is never held for long. */
async function readTrace(file: string): Promise<Trace> {
  const trace: Trace = { bindings: new Map(), answered: new Map() };
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() as string;
    for (const line of lines) addBinding(trace, line);
  }
  addBinding(trace, rest);
  return trace;
}

/** Parses LD_DEBUG=bindings output. Throws Skip when one reference bound to two libraries. */
export function parseBindings(lines: Iterable<string>): Trace {
  const trace: Trace = { bindings: new Map(), answered: new Map() };
  for (const line of lines) addBinding(trace, line);
  return trace;
}

// `binding file <object> [<ns>] to <library> [<ns>]: normal symbol `<symbol>' [<version>]`, cut
// with indexOf: a regular expression took twice as long over the ≈ 50,000 lines of a trace.
const BINDING = 'binding file ';
const TO = '] to ';
const SYMBOL = 'normal symbol `';

function addBinding({ bindings, answered }: Trace, line: string): void {
  const start = line.indexOf(BINDING);
  if (start === -1) return;
  const objectAt = start + BINDING.length;
  const objectEnd = line.indexOf(' [', objectAt);
  const libAt = line.indexOf(TO, objectEnd) + TO.length;
  const libEnd = line.indexOf(' [', libAt);
  const symbolAt = line.indexOf(SYMBOL, libEnd) + SYMBOL.length;
  const symbolEnd = line.indexOf("'", symbolAt);
  if (objectEnd === -1 || libAt < TO.length || libEnd === -1 || symbolAt < SYMBOL.length || symbolEnd === -1) return;
  const object = line.slice(objectAt, objectEnd);
  const lib = line.slice(libAt, libEnd);
  // The key: the referencing object, then the symbol and its version (the rest of the line).
  const key = `${object}\t${line.slice(symbolAt)}`;
  const seen = bindings.get(key);
  if (seen !== undefined && seen !== lib) throw new Skip(`${line.slice(symbolAt, symbolEnd)} of ${object} bound to both ${seen} and ${lib}`);
  bindings.set(key, lib);
  answered.set(lib, (answered.get(lib) ?? 0) + 1);
}

/** The references of `base` whose library changed in `trial` (`from` → `to`), or `different` when the two bound different references. */
export function movedBindings(base: Bindings, trial: Bindings): { from: string; to: string }[] | 'different' {
  if (base.size !== trial.size) return 'different';
  const moved = new Map<string, { from: string; to: string }>();
  for (const [key, from] of base) {
    const to = trial.get(key);
    if (to === undefined) return 'different';
    if (to !== from) moved.set(`${from}\n${to}`, { from, to });
  }
  return [...moved.values()];
}

/**
 * `libraries` ordered by lookups answered, most first, except that every library in
 * `before.get(x)` comes before x — and is then moved up with it, as early as x would be on its own
 * (libm must precede libc, which answers the most: both go first). Undefined when those
 * constraints form a cycle.
 */
export function preloadOrder(libraries: readonly string[], answered: ReadonlyMap<string, number>, before: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const waitingOn = new Map<string, number>();
  const unblocks = new Map<string, string[]>();
  for (const lib of libraries) {
    const firsts = [...(before.get(lib) ?? [])].filter((f) => libraries.includes(f));
    waitingOn.set(lib, firsts.length);
    for (const f of firsts) unblocks.set(f, [...(unblocks.get(f) ?? []), lib]);
  }
  // A library's urgency: the most lookups answered by it or by any library that waits on it.
  const urgency = new Map<string, number>();
  const urgencyOf = (lib: string, path: Set<string>): number => {
    const known = urgency.get(lib);
    if (known !== undefined) return known;
    if (path.has(lib)) return 0; // a cycle: reported below
    path.add(lib);
    let u = answered.get(lib) ?? 0;
    for (const next of unblocks.get(lib) ?? []) u = Math.max(u, urgencyOf(next, path));
    path.delete(lib);
    urgency.set(lib, u);
    return u;
  };
  const rank = (lib: string): [number, number] => [urgencyOf(lib, new Set()), answered.get(lib) ?? 0];
  const byRank = (a: string, b: string): number => {
    const [ua, wa] = rank(a);
    const [ub, wb] = rank(b);
    return ub - ua || wb - wa || (a < b ? -1 : a > b ? 1 : 0);
  };
  const free = libraries.filter((lib) => waitingOn.get(lib) === 0);
  const order: string[] = [];
  while (free.length > 0) {
    free.sort(byRank);
    const next = free.shift() as string;
    order.push(next);
    for (const lib of unblocks.get(next) ?? []) {
      const left = (waitingOn.get(lib) as number) - 1;
      waitingOn.set(lib, left);
      if (left === 0) free.push(lib);
    }
  }
  return order.length === libraries.length ? order : undefined;
}
