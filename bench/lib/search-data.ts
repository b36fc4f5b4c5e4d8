// Deterministic synthetic videos for bench/search: titles of 3–6 words from a 5,000-word
// vocabulary (each word in roughly 0.09% of titles), half of them with a description, most with
// tags, 80% Normal, creation times spread evenly over five years in insertion order (as a library
// grows), 20 categories. Pure: the same seed gives the same rows.

export const SPAN_START_MS = Date.UTC(2020, 0, 1);
export const SPAN_MS = 5 * 365 * 86_400_000;
export const VOCABULARY_SIZE = 5000;

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'ch', 'cl', 'dr', 'fl', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'io', 'y'];
const CODAS = ['', '', '', 'n', 'r', 's', 'l', 'x', 'nd', 'st'];
const TAGS = Array.from({ length: 50 }, (_, i) => `tag${i}`);
const STATUSES = ['Normal', 'Normal', 'Normal', 'Normal', 'Normal', 'Normal', 'Normal', 'Normal', 'Checking', 'Blocked', 'Uploading', 'UploadFail'];

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

export function vocabulary(seed = 1): string[] {
  const rng = mulberry32(seed);
  const words = new Set<string>();
  while (words.size < VOCABULARY_SIZE) {
    let w = '';
    for (let s = between(rng, 2, 3); s > 0; s--) w += pick(rng, ONSETS) + pick(rng, VOWELS);
    w += pick(rng, CODAS);
    if (w.length >= 5) words.add(w);
  }
  return [...words];
}

export interface BenchVideo {
  video_id: string;
  app_id: string;
  title: string;
  description: string;
  tags: string;
  cate_id: number | null;
  status: string;
  size: number;
  duration: number;
  cover_url: string;
  snapshots: string;
  storage_location: string;
  media_source: string;
  created_at_ms: number;
  modified_at_ms: number;
}

export const BENCH_COLUMNS = [
  'video_id', 'app_id', 'title', 'description', 'tags', 'cate_id', 'status', 'size', 'duration', 'cover_url', 'snapshots', 'storage_location',
  'media_source', 'created_at_ms', 'modified_at_ms',
] as const satisfies ReadonlyArray<keyof BenchVideo>;

const hex8 = (rng: Rng): string => Math.floor(rng() * 0x100000000).toString(16).padStart(8, '0');
const capital = (w: string): string => w[0]?.toUpperCase() + w.slice(1);

/** Video `i` of `total` (creation times grow with i). */
export function benchVideo(rng: Rng, words: readonly string[], cateIds: readonly number[], i: number, total: number): BenchVideo {
  const id = hex8(rng) + hex8(rng) + hex8(rng) + hex8(rng);
  const slot = SPAN_MS / total;
  const created = Math.floor(SPAN_START_MS + i * slot + rng() * slot);
  const title = Array.from({ length: between(rng, 3, 6) }, (_, k) => (k === 0 ? capital(pick(rng, words)) : pick(rng, words))).join(' ');
  return {
    video_id: id,
    app_id: rng() < 0.95 ? 'app-1000000' : 'app-2000000',
    title,
    description: rng() < 0.5 ? '' : Array.from({ length: between(rng, 5, 12) }, () => pick(rng, words)).join(' '),
    tags: rng() < 0.2 ? '' : Array.from({ length: between(rng, 1, 3) }, () => pick(rng, TAGS)).join(','),
    cate_id: rng() < 0.3 ? null : pick(rng, cateIds),
    status: pick(rng, STATUSES),
    size: between(rng, 100_000, 4_000_000_000),
    duration: between(rng, 5_000, 7_200_000) / 1000,
    cover_url: `blob:${id}/cover.jpg`,
    snapshots: `["blob:${id}/cover.jpg"]`,
    storage_location: 'openvod-default',
    media_source: 'general',
    created_at_ms: created,
    modified_at_ms: created + (rng() < 0.5 ? 0 : between(rng, 1000, 86_400_000)),
  };
}
