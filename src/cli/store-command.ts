// What the store-administration commands (`keys`, `events`) share: the same flags as `serve`
// to find the store, and a store opened (and migrated) for the length of one command.
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { openStore, type Store } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';

export interface StoreFlags { dataDir?: string; config?: string }

export const storeOptions = (c: Command): Command =>
  c.option('--data-dir <dir>', 'data dir of the server (default ./data)').option('--config <file>', 'JSON settings file');

export async function withStore<T>(flags: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig({ flags: { dataDir: flags.dataDir, config: flags.config }, env: process.env, cwd: process.cwd() });
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}
