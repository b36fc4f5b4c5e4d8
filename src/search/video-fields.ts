// What SearchMedia may do with each video field (reference §6):
//
//   R=return, E=exact, F=fuzzy, M=multi, G=range, S=sort
//   VideoId R E M · AppId R M · CateId R E · CateName R · StorageLocation R E M · Title R F M ·
//   Tags R F M · Description R F M · Status R M · MediaSource R M · PreprocessStatus R M ·
//   Size R G · Duration R G · CreationTime R G S · ModificationTime R G S · CoverURL R ·
//   Snapshots R · SpriteSnapshots R · DownloadSwitch R · TranscodeMode R.
//
// Plus the returnable-only fields of the video object: StorageClass, ReferenceId, RestoreStatus,
// RestoreExpiration.
import type { VideoTable } from '../store/schema.js';

export type ValueKind = 'text' | 'integer' | 'number' | 'time';
export type Capability = 'exact' | 'fuzzy' | 'multi' | 'range' | 'sort';

export type VideoColumn = keyof VideoTable & string;
export type FuzzyColumn = 'title' | 'tags' | 'description';
export type SortColumn = 'created_at_ms' | 'modified_at_ms';

export interface SearchField {
  readonly name: string;
  /** Absent for a field OpenVOD never sets (PreprocessStatus): no video has a value. */
  readonly column: VideoColumn | undefined;
  readonly kind: ValueKind;
  readonly caps: ReadonlySet<Capability>;
}

const field = (name: string, column: VideoColumn | undefined, kind: ValueKind, ...caps: Capability[]): SearchField => ({
  name, column, kind, caps: new Set(caps),
});

/** Fields usable in Match (every one is also returnable). */
export const MATCH_FIELDS: readonly SearchField[] = [
  field('VideoId', 'video_id', 'text', 'exact', 'multi'),
  field('AppId', 'app_id', 'text', 'multi'),
  field('CateId', 'cate_id', 'integer', 'exact'),
  field('StorageLocation', 'storage_location', 'text', 'exact', 'multi'),
  field('Title', 'title', 'text', 'fuzzy', 'multi'),
  field('Tags', 'tags', 'text', 'fuzzy', 'multi'),
  field('Description', 'description', 'text', 'fuzzy', 'multi'),
  field('Status', 'status', 'text', 'multi'),
  field('MediaSource', 'media_source', 'text', 'multi'),
  field('PreprocessStatus', undefined, 'text', 'multi'),
  field('Size', 'size', 'integer', 'range'),
  field('Duration', 'duration', 'number', 'range'),
  field('CreationTime', 'created_at_ms', 'time', 'range', 'sort'),
  field('ModificationTime', 'modified_at_ms', 'time', 'range', 'sort'),
];

/** Every field a video in MediaList can carry (`Fields`), in the reference's order. */
export const RETURNABLE_FIELDS: readonly string[] = [
  'VideoId', 'Title', 'Description', 'Tags', 'CateId', 'CateName', 'CoverURL', 'Duration', 'Size', 'Status', 'StorageLocation',
  'StorageClass', 'AppId', 'CreationTime', 'ModificationTime', 'Snapshots', 'SpriteSnapshots', 'DownloadSwitch', 'MediaSource',
  'PreprocessStatus', 'TranscodeMode', 'ReferenceId', 'RestoreStatus', 'RestoreExpiration',
];

const byLowerName = new Map(MATCH_FIELDS.map((f) => [f.name.toLowerCase(), f]));
const returnableByLowerName = new Map(RETURNABLE_FIELDS.map((n) => [n.toLowerCase(), n]));

/** A Match field by name, case-insensitively. */
export const matchField = (name: string): SearchField | undefined => byLowerName.get(name.toLowerCase());

/** The canonical spelling of a returnable field, case-insensitively. */
export const returnableField = (name: string): string | undefined => returnableByLowerName.get(name.toLowerCase());

export const isFuzzyColumn = (c: VideoColumn): c is FuzzyColumn => c === 'title' || c === 'tags' || c === 'description';

export const SORT_FIELDS: Readonly<Record<string, SortColumn>> = { CreationTime: 'created_at_ms', ModificationTime: 'modified_at_ms' };
