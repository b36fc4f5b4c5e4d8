// Faster starts for a dynamically linked ffmpeg/ffprobe: its shared libraries are preloaded in the
// order that lets the dynamic linker find symbols soonest.
//
// A distribution's ffmpeg is linked against ≈ 200 shared libraries, with BIND_NOW (Debian 12). At
// every start the dynamic linker resolves ≈ 43,000 symbol references, each by walking the
// libraries in load order — breadth first from the executable, so libc, which answers the most,
// comes near the end — until one defines the symbol. That walk was more than half of a 37 ms
// `ffmpeg -version` (`perf`: do_lookup_x), and every pulled, uploaded or registered video starts
// two such tools. Libraries named in LD_PRELOAD are searched first, in the order given: ordered by
// how many references each answers (and as the check below requires), the same start takes ≈ 25 ms.
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
// The check runs in the background when a server first starts the tool (≈ 0.7 s of CPU for
// Debian's ffmpeg, its own runs included: it pays for itself after ≈ 50 starts); tools started
// before it ends run without the preload.
import { statSync } from 'node:fs';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfLinking } from './elf-linking.js';
import { toolRunner } from './tool-runner.js';

export type LibraryOrderOutcome =
  | { kind: 'ordered'; libraries: number; references: number; rounds: number; ms: number }
  /** `retryInMs`: the check failed for a passing reason (the runner died, a timeout, an I/O error) and may run again after that long. */
  | { kind: 'skipped'; reason: string; retryInMs?: number };

/** Rounds of reorder-and-check before giving up. */
const MAX_ROUNDS = 6;
const TRACE_TIMEOUT_MS = 30_000;
/** After a check failed for a passing reason, the next start may check again after this long. */
const RETRY_AFTER_MS = 10 * 60_000;

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

/**
 * Finds and checks the order for `path` (once per path and process, unless it failed for a
 * passing reason: then again on the first use `retryAfterMs` later); `libraryPreload` answers once
 * it is ordered.
 */
export function orderLibraries(path: string, retryAfterMs = RETRY_AFTER_MS): Promise<LibraryOrderOutcome> {
  let outcome = started.get(path);
  if (outcome === undefined) {
    const checking: Promise<LibraryOrderOutcome> = findOrder(path).catch((err: unknown) => {
      const reason = err instanceof Skip ? err.message : `failed: ${(err as Error).message}`;
      if (err instanceof Skip && !err.passing) return { kind: 'skipped', reason } as const;
      setTimeout(() => {
        if (started.get(path) === checking) started.delete(path);
      }, retryAfterMs).unref();
      return { kind: 'skipped', reason, retryInMs: retryAfterMs } as const;
    });
    started.set(path, (outcome = checking));
  }
  return outcome;
}

/** Why a check ended without an order. `passing`: something that may not happen next time. */
class Skip extends Error {
  constructor(
    message: string,
    readonly passing = false,
  ) {
    super(message);
  }
}

async function findOrder(path: string): Promise<LibraryOrderOutcome> {
  if (process.platform !== 'linux') throw new Skip(`not Linux (${process.platform})`);
  if (elfLinking(path) !== 'dynamic') throw new Skip('not a dynamically linked executable');
  if (process.env.LD_PRELOAD) throw new Skip('LD_PRELOAD is already set');
  const t0 = performance.now();
  const files = filesState(path);
  const dir = await mkdtemp(join(tmpdir(), 'openvod-ld-'));
  try {
    const base = new Bindings();
    const baseOut = await traceRun(path, dir, 'base', undefined, (buf, start, end) => base.add(buf, start, end));
    const { answered } = base;
    const candidates = [...answered.keys()].filter((lib) => preloadable(lib, path));
    const odd = candidates.find((lib) => /[\s:]/.test(lib));
    if (odd !== undefined) throw new Skip(`a library path LD_PRELOAD cannot list: ${odd}`);
    const before = new Map<string, Set<string>>();
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const order = preloadOrder(candidates, answered, before);
      if (order === undefined) throw new Skip('the bindings ask for contradictory orders');
      const preload = order.join(' ');
      const trial = base.comparison();
      const trialOut = await traceRun(path, dir, `round${round}`, preload, (buf, start, end) => trial.add(buf, start, end));
      if (trialOut !== baseOut) throw new Skip('the tool printed something else with the libraries preloaded');
      const moved = trial.moved();
      if (moved === 'different') throw new Skip('the set of bound references changed with the libraries preloaded');
      if (moved.length === 0) {
        ready.set(path, { preload, files });
        return { kind: 'ordered', libraries: order.length, references: base.size, rounds: round, ms: Math.round(performance.now() - t0) };
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

type LineSink = (buf: Buffer, start: number, end: number) => void;

/** Runs `path -version` with the dynamic linker's trace, hands each line of it to `sink`; resolves to what the tool printed. */
async function traceRun(path: string, dir: string, prefix: string, preload: string | undefined, sink: LineSink): Promise<string> {
  const env: Record<string, string> = { LD_BIND_NOW: '1', LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, prefix) };
  if (preload !== undefined) env.LD_PRELOAD = preload;
  const reply = await toolRunner().run({ path, args: ['-version'], env, timeoutMs: TRACE_TIMEOUT_MS, maxStdoutBytes: 1 << 20 }).reply;
  if (reply.kind === 'spawn-failed') throw new Skip(`could not run it: ${reply.message}`, true);
  if (reply.kind !== 'exited' || reply.exitCode === null) throw new Skip(`\`-version\` ${reply.kind === 'exited' ? `was killed by ${reply.exitSignal}` : `ended: ${reply.kind}`}`, true);
  if (reply.exitCode !== 0) throw new Skip(`\`-version\` ended with code ${reply.exitCode}`);
  // The dynamic linker writes to <prefix>.<pid>; a tool that started others would leave several.
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${prefix}.`));
  if (files.length !== 1) throw new Skip(`expected one trace of the dynamic linker, found ${files.length}`);
  const file = join(dir, files[0] as string);
  await forEachLine(file, sink);
  await rm(file);
  return reply.stdout;
}

/**
 * Reads the file (≈ 8 MB for Debian's ffmpeg) a block at a time and hands over each line as bytes:
 * nothing is allocated per line. Cut into strings and kept in maps, the traces of a check had
 * taken over 100 MiB of heap, and the server's resident memory had stayed 20 MiB higher after.
 */
async function forEachLine(file: string, sink: LineSink): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
      const end = filled + bytesRead;
      let at = 0;
      for (let nl = buf.indexOf(NEWLINE, at); nl !== -1 && nl < end; nl = buf.indexOf(NEWLINE, at)) {
        sink(buf, at, nl);
        at = nl + 1;
      }
      if (bytesRead === 0) {
        if (at < end) sink(buf, at, end);
        return;
      }
      filled = buf.copy(buf, 0, at, end);
      if (filled === buf.length) throw new Skip('a line of the trace is longer than 256 KiB');
    }
  } finally {
    await handle.close();
  }
}

/** Each of `lines` handed to `sink` as bytes (tests). */
export function feedLines(lines: Iterable<string>, sink: LineSink): void {
  for (const text of lines) {
    const line = Buffer.from(text, 'utf8');
    sink(line, 0, line.length);
  }
}

const NEWLINE = 0x0a;
// `binding file <object> [<ns>] to <library> [<ns>]: normal symbol `<symbol>' [<version>]`
const BINDING = Buffer.from('binding file ');
const TO = Buffer.from('] to ');
const SYMBOL = Buffer.from('normal symbol `');
const NS = Buffer.from(' [');

interface Cut {
  /** The reference (its object, symbol and version) as a number: see `hash53`. */
  key: number;
  /** The library it bound to, by the hash of its name. */
  libKey: number;
  libAt: number;
  libEnd: number;
}

/** The parts of a binding line; undefined for any other line. */
function cut(buf: Buffer, start: number, end: number): Cut | undefined {
  const found = (needle: Buffer, from: number): number => {
    const at = from < 0 ? -1 : buf.indexOf(needle, from);
    return at === -1 || at + needle.length > end ? -1 : at;
  };
  const binding = messageStart(buf, start, end, BINDING);
  const objectAt = binding + BINDING.length;
  const objectEnd = found(NS, binding < 0 ? -1 : objectAt);
  const to = found(TO, objectEnd);
  const libAt = to + TO.length;
  const libEnd = found(NS, to < 0 ? -1 : libAt);
  const symbol = found(SYMBOL, libEnd);
  if (symbol === -1) return undefined;
  return { key: hash53(buf, objectAt, objectEnd, symbol + SYMBOL.length, end), libKey: hash53(buf, libAt, libEnd, 0, 0), libAt, libEnd };
}

/**
 * Where the line's message starts if it is `prefix`, else -1. The dynamic linker starts each line
 * with `<spaces><pid>:\t`; looking for the prefix itself would search on past the line's end.
 */
function messageStart(buf: Buffer, start: number, end: number, prefix: Buffer): number {
  const limit = Math.min(end - 1, start + 32);
  for (let i = start; i < limit; i++) {
    if (buf[i] !== 0x3a || buf[i + 1] !== 0x09) continue;
    const at = i + 2;
    return at + prefix.length <= end && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0 ? at : -1;
  }
  return -1;
}

/**
 * Bytes [a0, a1) then [b0, b1) as a number: two 32-bit FNV-1a hashes, 53 bits kept. Two of a
 * trace's ≈ 50,000 references share a number with a chance of about 50,000² / 2⁵⁴, 1 in 7
 * million; they are then taken for one, which can only make a check fail (their libraries
 * differ: a conflict) or see what it would have seen anyway — never pass a move unseen.
 */
function hash53(buf: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = a0; i < a1; i++) {
    a = Math.imul(a ^ (buf[i] as number), 0x01000193);
    b = Math.imul(b ^ (buf[i] as number), 0x01000193) ^ (b >>> 15);
  }
  a = Math.imul(a ^ 0x09, 0x01000193); // a tab between the parts
  b = Math.imul(b ^ 0x09, 0x01000193);
  for (let i = b0; i < b1; i++) {
    a = Math.imul(a ^ (buf[i] as number), 0x01000193);
    b = Math.imul(b ^ (buf[i] as number), 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/**
 * The bindings of the run without a preload: each reference's library, and how many lookups each
 * library answered. Later runs are compared with it line by line (`comparison`), without being
 * kept.
 */
export class Bindings {
  /** Reference → its slot in the arrays below. */
  private readonly slots = new Map<number, number>();
  private providers = new Uint16Array(1 << 16);
  /** The last comparison that saw the slot's reference. */
  private seenBy = new Uint32Array(1 << 16);
  private comparisons = 0;
  /** Library id → name, and name hash → id. */
  private readonly names: string[] = [];
  private readonly ids = new Map<number, number>();
  readonly answered = new Map<string, number>();

  get size(): number {
    return this.slots.size;
  }

  /** Takes in a line of the trace. Throws Skip when one reference bound to two libraries. */
  add(buf: Buffer, start: number, end: number): void {
    const c = cut(buf, start, end);
    if (c === undefined) return;
    const lib = this.idOf(c, buf);
    const name = this.names[lib] as string;
    this.answered.set(name, (this.answered.get(name) ?? 0) + 1);
    const slot = this.slots.get(c.key);
    if (slot !== undefined) {
      if (this.providers[slot] !== lib) throw new Skip(`a reference bound to both ${this.names[this.providers[slot] as number]} and ${name}`);
      return;
    }
    const next = this.slots.size;
    if (next === this.providers.length) {
      this.providers = grown(this.providers);
      this.seenBy = grown(this.seenBy);
    }
    this.providers[next] = lib;
    this.slots.set(c.key, next);
  }

  /** A run to compare with this one: give it every line of its trace, then ask what moved. */
  comparison(): { add(buf: Buffer, start: number, end: number): void; moved(): { from: string; to: string }[] | 'different' } {
    const stamp = ++this.comparisons;
    let seen = 0;
    let unknown = false;
    const moved = new Map<string, { from: string; to: string }>();
    return {
      add: (buf, start, end) => {
        const c = cut(buf, start, end);
        if (c === undefined) return;
        const slot = this.slots.get(c.key);
        if (slot === undefined) {
          unknown = true;
          return;
        }
        if (this.seenBy[slot] !== stamp) {
          this.seenBy[slot] = stamp;
          seen++;
        }
        const lib = this.idOf(c, buf);
        const was = this.providers[slot] as number;
        if (lib !== was) moved.set(`${was}:${lib}`, { from: this.names[was] as string, to: this.names[lib] as string });
      },
      moved: () => (unknown || seen !== this.slots.size ? 'different' : [...moved.values()]),
    };
  }

  private idOf(c: Cut, buf: Buffer): number {
    let id = this.ids.get(c.libKey);
    if (id === undefined) {
      id = this.names.length;
      if (id > 0xffff) throw new Skip('more than 65,536 libraries');
      this.names.push(buf.toString('utf8', c.libAt, c.libEnd));
      this.ids.set(c.libKey, id);
    }
    return id;
  }
}

function grown<T extends Uint16Array | Uint32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
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
  const visiting = new Set<string>();
  for (const lib of libraries) urgencyOf(lib, visiting);
  const byRank = (a: string, b: string): number =>
    (urgency.get(b) as number) - (urgency.get(a) as number) || (answered.get(b) ?? 0) - (answered.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
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
