// `urls:<file>`: a list of URLs (plain, CSV or JSON Lines; see url-list.parse.ts) for the target
// to pull. The file is streamed, never loaded whole; it is read twice per listing: once to check
// its structure (so a malformed line stops the run before anything is submitted), once to yield.
// Item id = the URL as written (trimmed); the first occurrence wins, repeats are skipped with a
// `DuplicateItem` warning.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, SourceItem } from '../source.js';
import type { SourceOptions } from './source-options.js';
import {
  csvHeader, type CsvColumn, csvRecord, detectFormat, isSignificant, jsonRecord, recordToItem, stripBom, textRecord,
  type UrlListFormat, type UrlListRecord,
} from './url-list.parse.js';

export function createUrlListSource(spec: string, file: string, opts: Pick<SourceOptions, 'onWarning'> = {}): MigrationSource {
  return {
    kind: 'urls',
    spec,
    defaultMethod: 'pull',
    methods: ['pull'],
    async *list(signal?: AbortSignal): AsyncGenerator<SourceItem> {
      const format = await detectFileFormat(file);
      for await (const _ of readRecords(file, format)) {
        if (signal?.aborted) return;
      }
      const seen = new Set<string>();
      for await (const rec of readRecords(file, format)) {
        if (signal?.aborted) return;
        const item = recordToItem(rec);
        if (seen.has(item.id)) {
          opts.onWarning?.({ code: 'DuplicateItem', id: item.id, message: `${basename(file)}, line ${rec.line}: a repeat of an earlier URL; skipped.` });
          continue;
        }
        seen.add(item.id);
        yield item;
      }
    },
    async sourceUrl(item) {
      return item.id;
    },
    async close() {},
  };
}

/** Opens the file, turning a missing or unreadable one into a usage error. */
async function openFile(file: string): Promise<Readable> {
  try {
    const handle = await open(file, 'r');
    return handle.createReadStream();
  } catch (err) {
    throw usageFromFs(file, err);
  }
}

async function* lines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  const input = await openFile(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      yield { line: lineNo === 1 ? stripBom(raw) : raw, lineNo };
    }
  } catch (err) {
    throw usageFromFs(file, err);
  } finally {
    rl.close();
    input.destroy();
  }
}

async function detectFileFormat(file: string): Promise<{ format: UrlListFormat; headerLine: number }> {
  for await (const { line, lineNo } of lines(file)) {
    if (isSignificant(line)) return { format: detectFormat(file, line), headerLine: lineNo };
  }
  return { format: detectFormat(file, undefined), headerLine: 1 };
}

async function* readRecords(file: string, { format, headerLine }: { format: UrlListFormat; headerLine: number }): AsyncGenerator<UrlListRecord> {
  if (format === 'csv') {
    yield* csvRecords(file, headerLine);
    return;
  }
  for await (const { line, lineNo } of lines(file)) {
    const rec = format === 'jsonl' ? jsonRecord(line, lineNo, basename(file)) : textRecord(line, lineNo);
    if (rec) yield rec;
  }
}

/** CSV through csv-parse (quotes, embedded commas and newlines, CRLF, BOM), from the header row on. */
async function* csvRecords(file: string, headerLine: number): AsyncGenerator<UrlListRecord> {
  const name = basename(file);
  const input = await openFile(file);
  const parser = input.pipe(parseCsv({ bom: true, info: true, skip_empty_lines: true, from_line: headerLine }));
  input.on('error', (err) => parser.destroy(err));
  let columns: CsvColumn[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (columns === undefined) {
        columns = csvHeader(record, info.lines, name);
        continue;
      }
      const rec = csvRecord(columns, record, info.lines, name);
      if (rec) yield rec;
    }
  } catch (err) {
    if (err instanceof MigrateUsageError) throw err;
    if (isFsError(err)) throw usageFromFs(file, err);
    throw new MigrateUsageError(`${name}: not a valid CSV file: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    parser.destroy();
    input.destroy();
  }
}

const isFsError = (err: unknown): err is NodeJS.ErrnoException => err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';

function usageFromFs(file: string, err: unknown): Error {
  if (!isFsError(err)) return err instanceof Error ? err : new Error(String(err));
  const why = err.code === 'ENOENT' ? 'does not exist' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${err.code})`;
  return new MigrateUsageError(`The URL list ${file} ${why}.`, { cause: err });
}
