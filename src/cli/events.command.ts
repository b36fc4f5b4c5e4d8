// `openvod events list|redeliver`: the callback delivery log from the command line, on the same
// store as `serve` (--data-dir/--config, OPENVOD_DATABASE_URL), like `openvod keys`.
import { Command } from 'commander';
import { ApiError } from '../domain/errors.js';
import type { DeliveryView } from '../notify/delivery-log.service.js';
import { listDeliveryLog, redeliverAllDead, redeliverEvents } from '../notify/delivery-log.service.js';
import { type StoreFlags, storeOptions, withStore } from './store-command.js';

interface FilterFlags { appId?: string; videoId?: string; eventType?: string; since?: string; until?: string }

/** Bad filters are the user's mistake: a message and exit status 2, no stack. */
async function userErrors(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    process.stderr.write(`openvod: ${err.message}\n`);
    process.exitCode = 2;
  }
}

const filterOptions = (c: Command): Command =>
  c
    .option('--app-id <id>', 'only this app')
    .option('--video-id <id>', 'only this video (media) id')
    .option('--event-type <type>', 'only this event type, e.g. FileUploadComplete')
    .option('--since <time>', 'events at or after this UTC time, e.g. 2024-05-01T00:00:00Z')
    .option('--until <time>', 'events at or before this UTC time');

const query = (o: FilterFlags) => ({ appId: o.appId, mediaId: o.videoId, eventType: o.eventType, startTime: o.since, endTime: o.until });

function line(d: DeliveryView): string {
  const last = d.LastStatusCode !== undefined ? `HTTP ${d.LastStatusCode}` : '-';
  return [d.CreationTime, d.EventId, d.EventType, d.MediaId || '-', d.Status, `attempts=${d.Attempts}`, last, d.LastError ?? ''].join('\t');
}

export function eventsCommand(): Command {
  const events = new Command('events').description('event callbacks: the delivery log, and redelivery (OPENVOD_DATABASE_URL selects Postgres)');

  filterOptions(storeOptions(events.command('list')))
    .description('list event deliveries, newest first')
    .option('--status <list>', 'comma list of pending, delivered, dead, skipped')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .option('--json', 'print one JSON object per line (with the body)')
    .action((opts: StoreFlags & FilterFlags & { status?: string; limit: string; json?: boolean }) =>
      userErrors(async () => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError('InvalidParameter', '--limit must be an integer from 1 to 1000.');
        const { total, deliveries } = await withStore(opts, (s) =>
          listDeliveryLog(s, { ...query(opts), status: opts.status }, { pageNo: 1, pageSize: limit, ascending: false }));
        for (const d of deliveries) process.stdout.write(opts.json ? `${JSON.stringify(d)}\n` : `${line(d)}\n`);
        if (!opts.json) process.stderr.write(`${deliveries.length} of ${total} deliveries\n`);
      }));

  filterOptions(storeOptions(events.command('redeliver')))
    .argument('[eventIds...]', 'event ids to deliver again (whatever their status)')
    .description('deliver events again: the given EventIds, or with --all-dead every dead delivery (filters apply)')
    .option('--all-dead', 'every dead delivery matching the filters')
    .action((eventIds: string[], opts: StoreFlags & FilterFlags & { allDead?: boolean }) =>
      userErrors(async () => {
        if ((eventIds.length > 0) === (opts.allDead === true)) {
          throw new ApiError('InvalidParameter', 'give either event ids or --all-dead (not both).');
        }
        if (opts.allDead) {
          const count = await withStore(opts, (s) => redeliverAllDead(s, query(opts), Date.now()));
          process.stdout.write(`redelivering ${count} dead deliveries\n`);
          return;
        }
        const r = await withStore(opts, (s) => redeliverEvents(s, eventIds, Date.now()));
        for (const id of r.redelivered) process.stdout.write(`${id}\tredelivering\n`);
        for (const id of r.alreadyPending) process.stdout.write(`${id}\tskipped: already pending\n`);
        for (const id of r.nonExistent) process.stdout.write(`${id}\tfailed: no such event\n`);
        if (r.nonExistent.length > 0) process.exitCode = 1;
      }));
  return events;
}
