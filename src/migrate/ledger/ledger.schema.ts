// The ledger's schema, versioned with SQLite's `user_version`: each entry of MIGRATIONS moves a
// ledger from version i to i + 1, in one transaction. A ledger newer than this program is refused.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE items (
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    metadata TEXT NOT NULL,
    extra TEXT NOT NULL,
    state TEXT NOT NULL,
    method TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    session_id TEXT,
    submitted_url TEXT,
    job_id TEXT,
    video_id TEXT,
    stale_video_id TEXT,
    error_code TEXT,
    error_message TEXT,
    source_size INTEGER,
    source_md5 TEXT,
    source_duration_s REAL,
    pushed_size INTEGER,
    pushed_md5 TEXT,
    target_size INTEGER,
    target_md5 TEXT,
    target_duration_s REAL,
    target_status TEXT,
    next_at_ms INTEGER,
    listed_at_ms INTEGER NOT NULL,
    submitted_at_ms INTEGER,
    completed_at_ms INTEGER,
    updated_at_ms INTEGER NOT NULL,
    UNIQUE (source, item_id)
  );
  -- Rows are wide (metadata, URLs): a rowid table keeps secondary-index lookups cheap.
  CREATE INDEX items_by_state ON items (source, state, seq);
  -- Covers the check schedule and the pending-backoff queries (no row reads).
  CREATE INDEX items_by_next ON items (source, state, next_at_ms, item_id);
  CREATE INDEX items_by_job ON items (job_id) WHERE job_id IS NOT NULL;
  CREATE INDEX items_by_video ON items (video_id) WHERE video_id IS NOT NULL;
  CREATE TABLE batches (
    session_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    method TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
  );
  `,
];

export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length;
