import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { createTorrent, type CreateOptions } from '../metainfo/create.js';
import { UsageError } from '../util/errors.js';
import { torrentMagnet } from './info.js';
import { defaultLine, formatBytes, formatDuration, formatRate, outputMode, printable, printJson, Progress } from './output.js';

interface Flags {
  announce: string[];
  output?: string;
  pieceLength?: number;
  private?: boolean;
  comment?: string;
  name?: string;
  webSeed: string[];
  date: boolean;
  createdBy?: string;
  threads?: number;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerCreate(program: Command): void {
  program
    .command('create')
    .description('hash a file or a folder into a .torrent')
    .argument('<path>', 'the file or folder to share')
    .option('-a, --announce <url>', 'tracker URL; repeat for more trackers, each its own tier', collect, [])
    .option('-o, --output <file>', 'where to write the .torrent (default: <name>.torrent)')
    .addOption(new Option('-l, --piece-length <size>', 'piece size: a power of two from 16K to 256M (default: about 1000-2000 pieces)').argParser(parsePieceLength))
    .option('--private', 'set the private flag (BEP 27: peers only from the trackers)')
    .option('--comment <text>', 'a comment stored in the torrent')
    .option('--name <name>', 'the torrent name (default: the file or folder name)')
    .option('-w, --web-seed <url>', 'web seed URL (BEP 19); repeatable', collect, [])
    .option('--no-date', 'leave out the creation date, so the same data gives the same file')
    .option('--created-by <text>', 'the "created by" field (default: swarm/<version>)')
    .addOption(new Option('--threads <n>', 'hashing threads (default: every core)').argParser(parseThreads))
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--json', 'print NDJSON progress events and a final result object')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (path: string, flags: Flags) => runCreate(path, flags));
}

async function runCreate(path: string, flags: Flags): Promise<void> {
  const mode = outputMode(flags);
  const file = flags.output ?? `${flags.name ?? basename(resolve(path))}.torrent`;
  // checked before hashing, so a name clash does not cost a long hash first
  if (!flags.force && (await exists(file))) {
    throw new UsageError('EXISTS', `${file} already exists (use -o to choose another name, or --force to overwrite it)`);
  }
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => abort.abort(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let progress: Progress | undefined;
  const opts: CreateOptions = {
    path,
    announce: flags.announce,
    webSeeds: flags.webSeed,
    date: flags.date,
    signal: abort.signal,
    onProgress: (done, total) => {
      progress ??= new Progress({
        mode,
        total,
        event: 'hashing',
        barFormat: 'hashing {bar} {percentage}% | {done} / {size} | {rate} | ETA {time_left}',
        line: (s) => `hashing ${defaultLine(s)}`,
      });
      progress.update(done);
    },
  };
  if (flags.pieceLength !== undefined) opts.pieceLength = flags.pieceLength;
  if (flags.private) opts.private = true;
  if (flags.comment !== undefined) opts.comment = flags.comment;
  if (flags.name !== undefined) opts.name = flags.name;
  if (flags.createdBy !== undefined) opts.createdBy = flags.createdBy;
  if (flags.threads !== undefined) opts.threads = flags.threads;

  let result;
  try {
    result = await createTorrent(opts);
  } catch (err) {
    progress?.stop();
    if (abort.signal.aborted) {
      process.stderr.write('swarm: interrupted; no torrent written\n');
      process.exitCode = abort.signal.reason === 'SIGTERM' ? 143 : 130;
      return;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const hashed = progress?.stop();
  const m = result.metainfo;
  // write then rename, so a crash never leaves half a .torrent under the real name
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, result.torrent);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new UsageError('WRITE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }

  const size = m.files.reduce((s, f) => s + f.length, 0);
  const magnet = torrentMagnet(m);
  if (mode === 'json') {
    printJson({
      event: 'created',
      file,
      infoHash: m.infoHashHex,
      magnet,
      name: m.name,
      size,
      files: m.files.length,
      pieceLength: m.pieceLength,
      pieceCount: m.layout.pieceCount,
      trackers: m.announceTiers,
      skippedSymlinks: result.skippedSymlinks,
      skippedSpecial: result.skippedSpecial,
    });
    return;
  }
  if (mode === 'quiet') return;
  const say = (s: string): boolean => process.stderr.write(`swarm: ${printable(s)}\n`);
  for (const l of listSome(result.skippedSymlinks)) say(`skipped symlink ${l} (symlinks are not followed)`);
  for (const l of listSome(result.skippedSpecial)) say(`skipped ${l}: not a regular file`);
  if (m.announceTiers.length === 0) say('no --announce given: the torrent names no tracker');
  let line = `${m.files.length} ${m.files.length === 1 ? 'file' : 'files'}, ${formatBytes(size)}, ${m.layout.pieceCount} pieces of ${formatBytes(m.pieceLength)}`;
  if (hashed && hashed.elapsed > 0) line += `, hashed in ${formatDuration(hashed.elapsed)} (${formatRate(size / hashed.elapsed)})`;
  process.stdout.write(`wrote      ${printable(file)} (${line})\ninfo hash  ${m.infoHashHex}\nmagnet     ${magnet}\n`);
}

/** The first ten entries, then a count, so a folder full of links does not flood stderr. */
function listSome(items: string[]): string[] {
  if (items.length <= 10) return items;
  return [...items.slice(0, 10), `... and ${items.length - 10} more`];
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };

/** 262144, 256K, 256KiB, 1M: a power of two from 16 KiB to 256 MiB. */
export function parsePieceLength(v: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 16 * 1024 || n > 256 * 1024 * 1024 || (n & (n - 1)) !== 0) {
    throw new UsageError('BAD_PIECE_LENGTH', `--piece-length ${JSON.stringify(v)} is not a power of two from 16K to 256M`);
  }
  return n;
}

function parseThreads(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('BAD_THREADS', `--threads ${JSON.stringify(v)} is not a number from 1 to 256`);
  return n;
}
