// `openvod migrate`: move a library onto a VOD endpoint (OpenVOD or ApsaraVideo) from a URL list,
// an S3/OSS bucket, a local directory or another VOD account — with a ledger that makes it
// resumable, progress, verification and a source→VideoId export. `migrate status` and
// `migrate export` read the ledger. This wiring is the only place that reads the environment
// (target keys, the test crash hook) and the process's signals and streams.
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { formatBytes } from './upload-progress.js';
import { openLedger, type Ledger } from '../migrate/ledger/ledger.js';
import { writeExport, type ExportFormat } from '../migrate/export.js';
import { emptyTotals, planRun } from '../migrate/dry-run.js';
import { LedgerBusyError, MigrateUsageError } from '../migrate/migrate.errors.js';
import type { Emit } from '../migrate/migrate.events.js';
import { DEFAULTS, parseMigrateFlags, type MigrateConfig, type MigrateFlags } from '../migrate/migrate.options.js';
import { crashHooks, startCallbacks, targetFor, uploaderFor } from '../migrate/migrate.wiring.js';
import { jsonReporter, plainReporter, ttyReporter } from '../migrate/progress.js';
import { EXIT_INTERRUPTED, EXIT_USAGE, summaryOf, summaryText } from '../migrate/report.js';
import { runMigration } from '../migrate/run/runner.js';
import type { MigrationSource } from '../migrate/source.js';
import { openSource } from '../migrate/sources/index.js';
import { DEFAULT_OTHER_RPS, DEFAULT_RPS } from '../migrate/target/qps-defaults.js';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Exits once stdout and stderr have drained (idle keep-alive sockets would hold the process). */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

function usage(e: unknown): number | undefined {
  if (e instanceof MigrateUsageError) {
    err(`openvod migrate: ${e.message.split('\n').join('\nopenvod migrate: ')}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof LedgerBusyError) {
    err(`openvod migrate: ${e.message}\n`);
    return 1;
  }
  return undefined;
}

function runOptions(cmd: Command): Command {
  return cmd
    .option('--source <spec>', 'urls:<file> | s3://<bucket>/<prefix> | dir:<path> | vod:<endpoint>')
    .option('--endpoint <url>', 'the target VOD API, e.g. http://127.0.0.1:8080 or https://vod.cn-shanghai.aliyuncs.com')
    .option('--state <file>', 'the ledger (SQLite) that makes the migration resumable; reuse it to resume')
    .addOption(new Option('--method <method>', 'how items reach the target (default: the source\'s)').choices(['pull', 'push', 'register']))
    .option('--access-key-id <id>', 'target key (default: ALIBABA_CLOUD_ACCESS_KEY_ID)')
    .option('--access-key-secret <secret>', 'target secret (default: ALIBABA_CLOUD_ACCESS_KEY_SECRET)')
    .option('--s3-endpoint <url>', 's3: S3-compatible endpoint (OSS: https://oss-<region>.aliyuncs.com)')
    .option('--s3-region <region>', 's3: region')
    .option('--s3-access-key-id <id>', 's3: access key')
    .option('--s3-secret-access-key <secret>', 's3: secret key')
    .option('--s3-force-path-style', 's3: path-style addressing (default: on for IP/localhost endpoints)')
    .option('--ext <list>', 's3/dir: extensions to take, e.g. mp4,mov (default: every audio/video format)')
    .option('--min-size <size>', 's3/dir: smallest file, e.g. 1M')
    .option('--max-size <size>', 's3/dir: largest file, e.g. 20G')
    .option('--modified-after <date>', 's3/dir: modified at or after (ISO-8601)')
    .option('--modified-before <date>', 's3/dir: modified before (ISO-8601)')
    .option('--vod-access-key-id <id>', 'vod: the source account\'s key')
    .option('--vod-access-key-secret <secret>', 'vod: the source account\'s secret')
    .option('--vod-match <expr>', 'vod: a SearchMedia Match expression to select videos')
    .option('--storage-location <location>', 'target storage (pull/push: where bytes go; register: the storage holding the objects)')
    .option('--template-group-id <id>', 'transcode template group (register default: VOD_NO_TRANSCODE)')
    .option('--cate-id <n>', 'category for items that name none')
    .option('--app-id <id>', 'target application id')
    .option('--max-in-flight <n>', `items on the target at once, not yet finished (default ${DEFAULTS.maxInFlight})`)
    .option('--rps <op=n>', `requests per second for one operation, repeatable; *=n for all (defaults: ApsaraVideo's published limits, e.g. UploadMediaByURL=${DEFAULT_RPS.UploadMediaByURL}, GetURLUploadInfos=${DEFAULT_RPS.GetURLUploadInfos}; others ${DEFAULT_OTHER_RPS})`, collect)
    .option('--rewrite <regex=replacement>', 'rewrite pulled URLs, repeatable (e.g. public OSS hosts to -internal ones)', collect)
    .option('--callback-listen <host:port>', 'receive the target\'s event callbacks here (polling stays on as a safety net)')
    .option('--callback-url <url>', 'the URL the target should call, when not http://<listen>/openvod-migrate/callback')
    .option('--callback-auth-key <key>', 'check callbacks\' X-VOD-SIGNATURE with this AuthKey (default: the target\'s, from GetMessageCallback)')
    .option('--retry-failed', 'submit the items that failed before again (a failed attempt\'s video is deleted first)')
    .option('--dry-run', 'list what would be migrated, how many and how many bytes; send nothing')
    .option('--json', 'JSON lines on stdout: one object per event, then the summary')
    .option('--poll-interval <s>', `seconds between checks of a submitted item (default ${DEFAULTS.pollIntervalS}; ${DEFAULTS.callbackPollIntervalS} with --callback-listen)`)
    .option('--concurrency <n>', `push: uploads at once per source host (default ${DEFAULTS.concurrency})`)
    .option('--push-attempts <n>', `push: attempts per item (default ${DEFAULTS.pushAttempts})`)
    .option('--part-size <MiB>', `push: multipart part size (default ${DEFAULTS.partSizeMiB})`)
    .option('--verify-tolerance <s>', `seconds a duration may differ from the source's (default ${DEFAULTS.verifyToleranceS})`)
    .option('--url-expiry <s>', `validity of presigned source URLs (default ${DEFAULTS.urlExpiryS})`)
    .option('--request-timeout <s>', `per-request timeout towards the target (default ${DEFAULTS.requestTimeoutS})`);
}

export function migrateCommand(): Command {
  // The run is the default subcommand (`openvod migrate --source …` = `openvod migrate run --source …`),
  // so that its options and those of status/export (both have --state) never mix.
  const migrate = new Command('migrate')
    .description('migrate a video library onto a VOD endpoint, resumably; `openvod migrate run --help` lists the options')
    .addHelpText('after', '\nExit status: 0 when every item succeeded or was skipped, 1 when some failed or are not finished, 2 for a usage error, 130 when interrupted.');
  runOptions(migrate.command('run', { isDefault: true }))
    .description('migrate (the default): openvod migrate --source <spec> --endpoint <url> --state <ledger> [--method pull|push|register] …')
    .action(async (flags: MigrateFlags) => exitWhenFlushed(await runMigrate(flags, process.env)));

  migrate.command('status')
    .description('counts per state and failures per error code, from the ledger')
    .requiredOption('--state <file>', 'the ledger')
    .option('--json', 'one JSON object per source')
    .action((flags: { state: string; json?: boolean }) => exitWhenFlushed(showStatus(flags)));

  migrate.command('export')
    .description('the source → VideoId mapping with the user\'s own columns, PlayURL, CoverURL, size, duration, status, error code')
    .requiredOption('--state <file>', 'the ledger')
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write here instead of stdout')
    .option('--source <spec>', 'only this source\'s items')
    .option('--endpoint <url>', 'read PlayURL/CoverURL/status live from this target (default: the ledger\'s)')
    .option('--access-key-id <id>', 'default: ALIBABA_CLOUD_ACCESS_KEY_ID')
    .option('--access-key-secret <secret>', 'default: ALIBABA_CLOUD_ACCESS_KEY_SECRET')
    .option('--auth-timeout <s>', 'validity of the exported PlayURLs in seconds', '3600')
    .action(async (flags: ExportFlags) => exitWhenFlushed(await runExport(flags, process.env)));
  return migrate;
}

async function runMigrate(flags: MigrateFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let config: MigrateConfig;
  try {
    config = parseMigrateFlags(flags, env, { needTarget: !flags.dryRun });
  } catch (e) {
    return usage(e) ?? 1;
  }
  if (config.dryRun) return dryRun(config).catch((e: unknown) => usage(e) ?? Promise.reject(e));

  let ledger: Ledger | undefined;
  let source: MigrationSource | undefined;
  let closeReceiver: (() => Promise<void>) | undefined;
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    err('\nstopping: nothing new is sent; run the same command again to resume (Ctrl-C again to leave at once)\n');
    controller.abort(new Error('interrupted'));
  };
  try {
    ledger = openLedger(config.ledgerPath, { lock: true });
    const l = ledger;
    const reporter = config.json ? jsonReporter(out) : process.stderr.isTTY ? ttyReporter(err, () => l.quickCounts(config.sourceSpec)) : plainReporter(err);
    const emit: Emit = (e) => reporter.event(e);
    source = openSource(config.sourceSpec, { ...config.sourceOptions, onWarning: (w) => emit({ type: 'warning', message: `${w.code}: ${w.message}` }) });
    const method = config.method ?? source.defaultMethod;
    if (!source.methods.includes(method)) {
      throw new MigrateUsageError(`${source.kind} sources support --method ${source.methods.join(' or ')}, not ${method}`);
    }
    ledger.setMeta('endpoint', config.endpoint);
    if (!config.credentials) throw new MigrateUsageError('no access key for the target');
    const target = targetFor(config.endpoint, config.credentials, config, emit);
    const receiver = await startCallbacks(config, target, emit);
    closeReceiver = receiver ? () => receiver.close() : undefined;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const started = Date.now();
    const result = await runMigration({
      source, ledger, target, emit, signal: controller.signal, callbacks: receiver,
      uploader: method === 'push' ? uploaderFor(config) : undefined,
      hooks: crashHooks(env.OPENVOD_MIGRATE_TEST_CRASH, () => process.kill(process.pid, 'SIGKILL')),
    }, { ...config.run, method });
    reporter.finish();
    const summary = summaryOf(source.spec, method, result, Date.now() - started);
    if (config.json) out(`${JSON.stringify(summary)}\n`);
    else out(summaryText(summary, config.ledgerPath));
    return summary.ExitCode;
  } catch (e) {
    const code = usage(e);
    if (code !== undefined) return code;
    err(`openvod migrate: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeReceiver?.();
    await source?.close().catch(() => undefined);
    ledger?.close();
  }
}

async function dryRun(config: MigrateConfig): Promise<number> {
  const ledger = existsSync(config.ledgerPath) ? openLedger(config.ledgerPath, { readonly: true }) : undefined;
  const source = openSource(config.sourceSpec, { ...config.sourceOptions, onWarning: (w) => err(`warning  ${w.code}: ${w.message}\n`) });
  try {
    const method = config.method ?? source.defaultMethod;
    if (!source.methods.includes(method)) throw new MigrateUsageError(`${source.kind} sources support --method ${source.methods.join(' or ')}, not ${method}`);
    const totals = emptyTotals();
    for await (const p of planRun(source, ledger, { retryFailed: config.run.retryFailed }, totals)) {
      if (config.json) out(`${JSON.stringify({ Event: 'would-submit', SourceId: p.id, FileName: p.fileName, Size: p.size ?? null, Action: p.action })}\n`);
      else out(`${p.action.padEnd(10)} ${(p.size === undefined ? '?' : formatBytes(p.size)).padStart(10)}  ${p.id}\n`);
    }
    if (config.json) {
      out(`${JSON.stringify({ Event: 'dry-run', Source: source.spec, Method: method, Items: totals.items, Bytes: totals.bytes, UnknownSize: totals.unknownSize, AlreadyDone: totals.alreadyDone, InFlight: totals.inFlight, FailedNotRetried: totals.failedNotRetried, Skipped: totals.skipped })}\n`);
    } else {
      const unknown = totals.unknownSize > 0 ? ` (+ ${totals.unknownSize} of unknown size)` : '';
      out(`Would migrate ${totals.items} item(s), ${formatBytes(totals.bytes)}${unknown}, from ${source.spec} by ${method}${config.endpoint ? ` to ${config.endpoint}` : ''}.\n`);
      if (totals.alreadyDone + totals.inFlight + totals.skipped > 0) out(`Already done: ${totals.alreadyDone}; on the target now: ${totals.inFlight}; skipped: ${totals.skipped}.\n`);
      if (totals.failedNotRetried > 0) out(`${totals.failedNotRetried} failed item(s) are not retried without --retry-failed.\n`);
      out('Nothing was sent (--dry-run).\n');
    }
    return 0;
  } finally {
    await source.close().catch(() => undefined);
    ledger?.close();
  }
}

function showStatus(flags: { state: string; json?: boolean }): number {
  let ledger: Ledger;
  try {
    ledger = openLedger(flags.state, { readonly: true });
  } catch (e) {
    return usage(e) ?? 1;
  }
  try {
    for (const source of ledger.sources()) {
      const c = ledger.counts(source);
      const s = c.byState;
      if (flags.json) {
        out(`${JSON.stringify({ Source: source, Total: c.total, ByState: s, Bytes: c.succeededBytes, ErrorCodes: c.failuresByCode })}\n`);
        continue;
      }
      out(`${source}\n  ${c.total} item(s): ${s.succeeded} succeeded (${formatBytes(c.succeededBytes)}), ${s.failed} failed, ${s.skipped} skipped, ` +
        `${s.submitting + s.submitted} on the target, ${s.pending} not sent\n`);
      for (const [code, n] of Object.entries(c.failuresByCode).sort((a, b) => b[1] - a[1])) out(`    ${code.padEnd(32)} ${n}\n`);
    }
    return 0;
  } finally {
    ledger.close();
  }
}

interface ExportFlags {
  state: string; format: ExportFormat; out?: string; source?: string; endpoint?: string;
  accessKeyId?: string; accessKeySecret?: string; authTimeout: string;
}

async function runExport(flags: ExportFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let ledger: Ledger;
  try {
    ledger = openLedger(flags.state, { readonly: true });
  } catch (e) {
    return usage(e) ?? 1;
  }
  const authTimeoutS = Number(flags.authTimeout);
  if (!Number.isInteger(authTimeoutS) || authTimeoutS <= 0) return usage(new MigrateUsageError(`--auth-timeout "${flags.authTimeout}": seconds, a positive integer`)) ?? 2;
  const accessKeyId = flags.accessKeyId ?? env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? env.OPENVOD_ACCESS_KEY_ID;
  const accessKeySecret = flags.accessKeySecret ?? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? env.OPENVOD_ACCESS_KEY_SECRET;
  const endpoint = flags.endpoint ?? ledger.getMeta('endpoint');
  const live = endpoint && accessKeyId && accessKeySecret;
  if (!live) err('openvod migrate export: no target keys (or endpoint): PlayURL and CoverURL are left empty\n');
  const target = live
    ? targetFor(endpoint, { accessKeyId, accessKeySecret }, { rates: DEFAULT_RPS, defaultRate: DEFAULT_OTHER_RPS, requestTimeoutMs: 30_000 })
    : undefined;
  const file = flags.out ? createWriteStream(flags.out) : undefined;
  const write = async (text: string): Promise<void> => {
    const stream = file ?? process.stdout;
    if (!stream.write(text)) await once(stream, 'drain');
  };
  try {
    const n = await writeExport(ledger, { format: flags.format, target, authTimeoutS, source: flags.source, write });
    if (file) {
      file.end();
      await once(file, 'finish');
      err(`${n} item(s) written to ${flags.out}\n`);
    }
    return 0;
  } catch (e) {
    err(`openvod migrate export: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    ledger.close();
  }
}
