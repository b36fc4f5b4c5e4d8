// The `storages` section of the config file: where media bytes may live besides the built-in
// storage. Each entry is named by its `location` — the host part of the OSS-style object URL
// `http(s)://<location>/<key>` that RegisterMedia takes — and is either a directory (`fs`) or an
// S3-compatible bucket (`s3`: AWS S3, OSS's S3 interface, MinIO, Ceph …).
//
// The location `openvod-default` redefines the built-in storage itself (OpenVOD's own files:
// covers, snapshots, upload parts), e.g. as an S3 bucket so that processes share no disk.
import { z } from 'zod';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';

// A DNS name (optionally with a port), as OSS bucket hosts are; lower case, no scheme, no path.
const location = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/, 'must be a host name such as my-bucket.oss-cn-shanghai.aliyuncs.com')
  .max(253);

const common = {
  location,
  /** New media may be stored here (StorageLocation); default false — a user's storage is only read. */
  writable: z.boolean().optional(),
  /** New media without a StorageLocation go here (at most one storage; it must be writable). */
  default: z.boolean().optional(),
};

const fsStorage = z
  .object({
    ...common,
    type: z.literal('fs'),
    /** The directory whose files are the objects (`<root>/<key>`). */
    root: z.string().min(1),
  })
  .strict();

const s3Storage = z
  .object({
    ...common,
    type: z.literal('s3'),
    /** Absent = AWS. For OSS: https://oss-<region>.aliyuncs.com; MinIO/s3rver: its URL. */
    endpoint: z.string().url().optional(),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    region: z.string().min(1).optional(),
    /** Absent = the AWS SDK's default credential chain (environment, profile, instance role). */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** Only keys under this prefix belong to the storage; OpenVOD's writes go under it too. */
    prefix: z.string().regex(/^([^/].*\/)?$/, 'must be empty or end with "/" (and not start with "/")').optional(),
    forcePathStyle: z.boolean().optional(),
  })
  .strict();

export const storageEntrySchema = z.discriminatedUnion('type', [fsStorage, s3Storage]);
export type StorageEntry = z.infer<typeof storageEntrySchema>;

/** A storage as the rest of OpenVOD sees its configuration (defaults applied). */
export type StorageConfig =
  | { readonly type: 'fs'; readonly location: string; readonly writable: boolean; readonly isDefault: boolean; readonly root: string }
  | {
      readonly type: 's3';
      readonly location: string;
      readonly writable: boolean;
      readonly isDefault: boolean;
      readonly endpoint: string | undefined;
      readonly bucket: string;
      readonly region: string;
      readonly accessKeyId: string | undefined;
      readonly secretAccessKey: string | undefined;
      readonly prefix: string;
      readonly forcePathStyle: boolean;
    };

/**
 * Validates the raw `storages` list; problems are appended to `problems` (config reports every
 * bad value together). `resolvePath` makes fs roots absolute against the config's directory.
 */
export function parseStorages(raw: readonly unknown[] | undefined, resolvePath: (p: string) => string, problems: string[]): StorageConfig[] {
  const out: StorageConfig[] = [];
  const seen = new Set<string>();
  (raw ?? []).forEach((entry, i) => {
    const parsed = storageEntrySchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`storages[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
      return;
    }
    const e = parsed.data;
    if (seen.has(e.location)) problems.push(`storages[${i}].location: "${e.location}" is declared twice`);
    seen.add(e.location);
    const builtIn = e.location === DEFAULT_STORAGE_LOCATION;
    if (builtIn && e.writable === false) problems.push(`storages[${i}]: the built-in storage "${DEFAULT_STORAGE_LOCATION}" must be writable`);
    const writable = builtIn || e.writable === true;
    if (e.default === true && !writable) problems.push(`storages[${i}]: a default storage must be writable`);
    if (e.type === 'fs') {
      out.push({ type: 'fs', location: e.location, writable, isDefault: e.default === true, root: resolvePath(e.root) });
    } else {
      if ((e.accessKeyId === undefined) !== (e.secretAccessKey === undefined)) {
        problems.push(`storages[${i}]: accessKeyId and secretAccessKey go together`);
      }
      out.push({
        type: 's3', location: e.location, writable, isDefault: e.default === true, endpoint: e.endpoint, bucket: e.bucket,
        region: e.region ?? 'us-east-1', accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey, prefix: e.prefix ?? '',
        forcePathStyle: e.forcePathStyle ?? false,
      });
    }
  });
  if (out.filter((s) => s.isDefault).length > 1) problems.push('storages: at most one storage may be the default');
  return out;
}
