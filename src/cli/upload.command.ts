// `openvod upload <file|url|->`: the SDK uploader from the command line. Keys come from flags,
// else OPENVOD_ACCESS_KEY_ID/SECRET, else ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET (this wiring is the
// only place that reads them). Ctrl-C stops cleanly; running the same command again resumes a
// file upload from its checkpoint (default ~/.openvod/checkpoints).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createUploader, UploadError, VodApiError, type UploadMetadata, type UploadResult } from '../sdk/index.js';
import { jsonProgress, silentProgress, ttyBar, type ProgressSink } from './upload-progress.js';

interface UploadFlags {
  title?: string; description?: string; tags?: string; cateId?: number; coverUrl?: string; templateGroupId?: string;
  userData?: string; storageLocation?: string; appId?: string; fileName?: string;
  endpoint: string; accessKeyId?: string; accessKeySecret?: string;
  partSize: number; parallel: number; checkpointDir: string; json?: boolean;
}

const positiveInt = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

function credentials(flags: UploadFlags, env: NodeJS.ProcessEnv): { accessKeyId: string; accessKeySecret: string } | undefined {
  const accessKeyId = flags.accessKeyId ?? env.OPENVOD_ACCESS_KEY_ID ?? env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = flags.accessKeySecret ?? env.OPENVOD_ACCESS_KEY_SECRET ?? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  return accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret } : undefined;
}

const errorMessage = (e: unknown): string =>
  e instanceof UploadError || e instanceof VodApiError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);

/** Exits once stdout and stderr have drained (ali-oss keeps idle keep-alive sockets open). */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export function uploadCommand(): Command {
  return new Command('upload')
    .description('upload a local file, a URL (streamed, no temporary file) or stdin (-) as a new video')
    .argument('<source>', 'a file path, an http(s) URL, or - for stdin (then --file-name is required)')
    .option('--title <text>', 'the video title (default: the file name)')
    .option('--description <text>', 'the video description')
    .option('--tags <list>', 'comma-separated tags')
    .option('--cate-id <n>', 'category id', positiveInt('--cate-id'))
    .option('--cover-url <url>', 'cover image URL')
    .option('--template-group-id <id>', 'transcode template group (VOD_NO_TRANSCODE)')
    .option('--user-data <json>', 'UserData JSON (MessageCallback, Extend)')
    .option('--storage-location <name>', 'storage location')
    .option('--app-id <id>', 'application id')
    .option('--file-name <name>', 'source file name (its extension names the format); required for stdin')
    .option('--endpoint <url>', 'the VOD API endpoint', 'http://127.0.0.1:8080')
    .option('--access-key-id <id>', 'default: OPENVOD_ACCESS_KEY_ID or ALIBABA_CLOUD_ACCESS_KEY_ID')
    .option('--access-key-secret <secret>', 'default: OPENVOD_ACCESS_KEY_SECRET or ALIBABA_CLOUD_ACCESS_KEY_SECRET')
    .option('--part-size <KiB>', 'multipart part size in KiB (≥ 100)', positiveInt('--part-size'), 8192)
    .option('--parallel <n>', 'parts in flight at once', positiveInt('--parallel'), 4)
    .option('--checkpoint-dir <dir>', 'where interrupted file uploads are remembered', join(homedir(), '.openvod', 'checkpoints'))
    .option('--json', 'print JSON lines (progress events, then {"VideoId","Size"}) on stdout')
    .action(async (source: string, flags: UploadFlags) => {
      const code = await runUpload(source, flags, process.env);
      exitWhenFlushed(code);
    });
}

async function runUpload(source: string, flags: UploadFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (message: string, code = 1): number => {
    process.stderr.write(`${flags.json ? '' : '\n'}openvod upload: ${message}\n`);
    return code;
  };
  const creds = credentials(flags, env);
  if (!creds) return fail('no access key: pass --access-key-id/--access-key-secret or set OPENVOD_ACCESS_KEY_ID/OPENVOD_ACCESS_KEY_SECRET', 2);
  if (source === '-' && !flags.fileName) return fail('--file-name is required when reading stdin', 2);

  const controller = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave at once
    interrupted = true;
    process.stderr.write('\ninterrupted; stopping (run the same command again to resume a file upload)\n');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const sink: ProgressSink = flags.json
    ? jsonProgress((s) => process.stdout.write(s))
    : process.stderr.isTTY ? ttyBar((s) => process.stderr.write(s)) : silentProgress;
  const meta: Omit<UploadMetadata, 'title'> = {
    description: flags.description, tags: flags.tags, cateId: flags.cateId, coverUrl: flags.coverUrl,
    templateGroupId: flags.templateGroupId, userData: flags.userData, storageLocation: flags.storageLocation, appId: flags.appId,
    onProgress: (p) => sink.update(p), signal: controller.signal,
  };
  try {
    const uploader = createUploader({
      endpoint: flags.endpoint, ...creds, partSize: flags.partSize * 1024, parallel: flags.parallel, checkpointDir: flags.checkpointDir,
    });
    let result: UploadResult;
    if (/^https?:\/\//i.test(source)) result = await uploader.uploadUrl(source, { ...meta, title: flags.title, fileName: flags.fileName });
    else if (source === '-') result = await uploader.uploadStream(process.stdin, { ...meta, title: flags.title, fileName: flags.fileName as string });
    else result = await uploader.uploadFile(source, { ...meta, title: flags.title ?? source.split(/[\\/]/).pop() ?? source });
    sink.finish();
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ VideoId: result.videoId, Size: result.size, ...(result.md5 ? { MD5: result.md5 } : {}), Resumed: result.resumed ?? false })}\n`);
    } else {
      process.stdout.write(`${result.videoId}\n`);
    }
    return 0;
  } catch (e) {
    sink.finish();
    if (interrupted || (e instanceof UploadError && e.code === 'Upload.Aborted')) return fail('stopped', 130);
    return fail(errorMessage(e));
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
