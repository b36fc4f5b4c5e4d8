import { Command } from 'commander';
import { listAccessKeys, setAccessKeyStatus } from '../auth/access-key.repository.js';
import { createAccessKey } from '../auth/access-key.service.js';
import { isoSeconds } from '../domain/time.js';
import { type StoreFlags, storeOptions, withStore } from './store-command.js';


export function keysCommand(): Command {
  const keys = new Command('keys').description('manage access keys (OPENVOD_DATABASE_URL selects Postgres)');

  storeOptions(keys.command('create'))
    .description('create an access key, optionally limited to some actions')
    .option('--actions <list>', 'comma-separated actions this key may call (default: all)')
    .option('--description <text>', 'a note to recognise the key by', '')
    .option('--json', 'print JSON')
    .action(async (opts: StoreFlags & { actions?: string; description: string; json?: boolean }) => {
      const actions = opts.actions === undefined ? null : opts.actions.split(',').map((a) => a.trim()).filter(Boolean);
      const key = await withStore(opts, (s) => createAccessKey(s.db, { allowedActions: actions, description: opts.description, nowMs: Date.now() }));
      const out = { AccessKeyId: key.accessKeyId, AccessKeySecret: key.accessKeySecret, Actions: key.allowedActions ?? 'ALL' };
      process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : `AccessKeyId:     ${out.AccessKeyId}\nAccessKeySecret: ${out.AccessKeySecret}\nActions:         ${actions?.join(',') ?? 'ALL'}\n`);
    });

  storeOptions(keys.command('list'))
    .description('list access keys (secrets are not shown)')
    .option('--json', 'print JSON lines')
    .action(async (opts: StoreFlags & { json?: boolean }) => {
      const all = await withStore(opts, (s) => listAccessKeys(s.db));
      for (const k of all) {
        const row = { AccessKeyId: k.accessKeyId, Status: k.status, Root: k.isRoot, Actions: k.allowedActions ?? 'ALL', Description: k.description, CreationTime: isoSeconds(k.createdAtMs) };
        process.stdout.write(opts.json ? `${JSON.stringify(row)}\n` : `${row.AccessKeyId}\t${row.Status}\t${k.isRoot ? 'root' : (k.allowedActions?.join(',') ?? 'ALL')}\t${row.CreationTime}\t${row.Description}\n`);
      }
    });

  storeOptions(keys.command('disable'))
    .argument('<accessKeyId>')
    .description('disable an access key (takes effect within a second on running servers)')
    .action(async (accessKeyId: string, opts: StoreFlags) => {
      const ok = await withStore(opts, (s) => setAccessKeyStatus(s.db, accessKeyId, 'Inactive'));
      if (!ok) {
        process.stderr.write(`openvod: no access key ${accessKeyId}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`disabled ${accessKeyId}\n`);
    });
  return keys;
}
