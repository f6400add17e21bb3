import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseTarget } from '../metainfo/magnet.js';
import { loadTorrentFile, type Metainfo } from '../metainfo/metainfo.js';
import { errorMessage, SwarmError, UsageError } from '../util/errors.js';
import { collectPeer, formatHostPort, type HostPort, parseBind, parsePort, parsePositive, parseRate } from './args.js';
import { formatBytes, formatDuration, formatRate, type OutputMode, outputMode, printable, printJson } from './output.js';
import { parseSelect } from './select.js';
import type { EncryptionMode } from '../torrent/session.js';
import { addTorrent, ENCRYPTION_OPTION, openSession, type Outcome, TorrentRun } from './torrent-run.js';
import { shareRatio, TorrentLive } from './torrent-progress.js';

interface Flags {
  output?: string;
  peer?: HostPort[];
  port?: number;
  bind: string;
  select?: string;
  list?: boolean;
  seed?: boolean;
  seedRatio?: number;
  seedTime?: number;
  uploadLimit?: number;
  downloadLimit?: number;
  recheck?: boolean;
  trackers: boolean;
  encryption: EncryptionMode;
  json?: boolean;
  quiet?: boolean;
}

export const MAGNET_UNSUPPORTED =
  'magnet links and bare info hashes need the metadata exchange with peers (BEP 9), which swarm does not support yet: download with the .torrent file instead';

export function registerDownload(program: Command): void {
  program
    .command('download')
    .description('download a torrent; exits 0 once every selected byte is verified on disk')
    .argument('<target>', 'a .torrent file (magnet links and info hashes are not supported yet)')
    .option('-o, --output <dir>', 'download folder: files land in DIR/<name> (default: the current folder)')
    .addOption(new Option('--peer <host:port>', 'a peer to connect to; repeatable; IPv6 as [::1]:6881').argParser(collectPeer))
    .addOption(new Option('--port <n>', 'port for incoming peers (default: any free port)').argParser((v) => parsePort('--port', v)))
    .addOption(new Option('--bind <host>', 'address to listen on').default('127.0.0.1').argParser(parseBind))
    .option('--select <list>', 'only these files, numbered as --list shows them: 1-3,7')
    .option('--list', 'print the files with their numbers and exit')
    .option('--seed', 'keep seeding once done, until --seed-ratio, --seed-time or Ctrl-C')
    .addOption(new Option('--seed-ratio <r>', 'seed until uploaded = r x the downloaded size (implies --seed)').argParser((v) => parsePositive('--seed-ratio', v)))
    .addOption(new Option('--seed-time <minutes>', 'seed this many minutes after completion (implies --seed)').argParser((v) => parsePositive('--seed-time', v)))
    .addOption(new Option('--upload-limit <rate>', 'bytes per second: 500k, 1M, 2G (powers of 1024; 0: no limit)').argParser((v) => parseRate('--upload-limit', v)))
    .addOption(new Option('--download-limit <rate>', 'bytes per second: 500k, 1M, 2G (powers of 1024; 0: no limit)').argParser((v) => parseRate('--download-limit', v)))
    .option('--recheck', 'hash the data on disk again instead of trusting the resume file')
    .addOption(ENCRYPTION_OPTION())
    .option('--no-trackers', "do not announce to the torrent's trackers: only --peer peers")
    .option('--json', 'NDJSON events on stdout, one object per line')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (target: string, flags: Flags) => runDownload(target, flags));
}

async function runDownload(target: string, given: Flags): Promise<void> {
  const flags = { ...given, peer: given.peer ?? [] };
  const t = parseTarget(target);
  if (t.kind === 'magnet') throw new UsageError('MAGNET_UNSUPPORTED', MAGNET_UNSUPPORTED);
  const m = await loadTorrentFile(t.path);
  if (flags.list) return listFiles(m, flags);
  const select = flags.select === undefined ? undefined : parseSelect(flags.select, m.files.length);
  const dir = resolve(flags.output ?? '.');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new UsageError('BAD_OUTPUT', `cannot use ${dir} as the download folder: ${errorMessage(err)}`, { cause: err });
  }
  const seedAfter = !!(flags.seed || flags.seedRatio || flags.seedTime);
  const mode = outputMode(flags);
  const opened = await openSession({ host: flags.bind, port: flags.port ?? 0, fallback: false, explicit: flags.port !== undefined, encryption: flags.encryption });
  const torrent = await addTorrent(opened.session, {
    metainfo: m,
    root: dir,
    select,
    uploadLimit: flags.uploadLimit,
    downloadLimit: flags.downloadLimit,
    recheck: flags.recheck ?? false,
    trackers: flags.trackers,
  });
  const live = new TorrentLive({ mode, stats: () => torrent.stats() });
  const run = new TorrentRun(opened.session, torrent, live);

  const chosen = select ? m.files.filter((f) => select.includes(f.index)) : m.files;
  const wantedBytes = chosen.reduce((s, f) => s + f.length, 0);
  const where = formatHostPort(opened);
  const trackers = flags.trackers ? m.announceTiers.flat() : [];
  live.event('start', {
    command: 'download',
    name: m.name,
    infoHash: m.infoHashHex,
    dir,
    path: join(dir, m.name),
    totalBytes: m.files.reduce((s, f) => s + f.length, 0),
    selectedBytes: wantedBytes,
    files: m.files.length,
    selectedFiles: chosen.map((f) => f.index),
    pieces: m.layout.pieceCount,
    host: opened.host,
    port: opened.port,
    peers: flags.peer.map(formatHostPort),
    trackers,
  });
  const what = select ? `${chosen.length} of ${m.files.length} files, ${formatBytes(wantedBytes)}` : `${formatBytes(wantedBytes)} in ${plural(m.files.length, 'file')}`;
  live.note(`swarm: downloading ${m.name} (${what}) to ${dir}`);
  live.note(`swarm: listening on ${where} for incoming peers`);
  if (flags.peer.length === 0 && trackers.length === 0) {
    const why = flags.trackers ? 'the torrent names no tracker' : '--no-trackers';
    live.note(`swarm: ${why} and no --peer given: waiting for peers to connect to ${where}`);
  }

  let outcome: Outcome;
  try {
    outcome = await drive(run, flags, mode, wantedBytes, seedAfter);
  } catch (err) {
    // a bug here must not leave the session open and the process hanging
    outcome = { kind: 'error', err: err instanceof Error ? err : new Error(String(err)) };
  }
  process.exitCode = await run.close(outcome);
  if (outcome.kind === 'error') throw diskError(outcome.err, torrent.stats().piecesDone);
}

/** Check, download, report, and seed if asked: the outcome that ends the run. */
async function drive(run: TorrentRun, flags: Flags, mode: OutputMode, wantedBytes: number, seedAfter: boolean): Promise<Outcome> {
  const { torrent, live } = run;
  const m = torrent.opts.metainfo;
  const dir = torrent.opts.root;
  let outcome = await run.start(wantedBytes);
  let already = false;
  if (!outcome) {
    const before = torrent.stats();
    live.event('checked', { doneBytes: before.doneBytes, totalBytes: before.totalBytes, piecesDone: before.piecesDone, piecesTotal: before.piecesTotal });
    already = torrent.phase === 'seeding';
    if (already) outcome = { kind: 'done' };
    else {
      if (before.doneBytes > 0) live.note(`swarm: ${formatBytes(before.doneBytes)} already on disk and verified; fetching the rest`);
      live.begin('download');
      torrent.addPeers(flags.peer ?? [], 'manual');
      outcome = await run.until({ withDone: true });
    }
  }

  if (outcome.kind === 'done') {
    live.end();
    const s = torrent.stats();
    const secs = (Date.now() - run.startedAt) / 1000;
    live.event('done', { name: m.name, path: join(dir, m.name), totalBytes: s.totalBytes, downloadedBytes: s.downloadedBytes, seconds: Math.round(secs * 10) / 10, alreadyComplete: already });
    if (mode === 'tty' || mode === 'plain') {
      const how = already
        ? 'already complete: every byte is on disk and verified'
        : `${formatBytes(s.totalBytes)} verified; ${formatBytes(s.downloadedBytes)} fetched in ${formatDuration(secs)} (${formatRate(s.downloadedBytes / Math.max(secs, 0.001))})`;
      process.stdout.write(`${printable(join(dir, m.name))}: ${how}\n`);
    }
    if (seedAfter) outcome = await seed(run, flags);
  }
  return outcome;
}

/** Seeds after completion until the ratio or time is reached, or a signal or error. */
async function seed(run: TorrentRun, flags: Flags): Promise<Outcome> {
  const { live, torrent } = run;
  const goals: string[] = [];
  if (flags.seedRatio) goals.push(`ratio ${flags.seedRatio}`);
  if (flags.seedTime) goals.push(formatDuration(flags.seedTime * 60));
  live.note(`swarm: seeding until ${goals.length > 0 ? goals.join(' or ') : 'Ctrl-C'}`);
  live.begin('seed');
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  const reached = new Promise<Outcome>((resolveGoal) => {
    if (flags.seedTime) timer = setTimeout(() => resolveGoal({ kind: 'seed-time' }), flags.seedTime * 60_000);
    if (flags.seedRatio) {
      const ratio = flags.seedRatio;
      check = setInterval(() => {
        if (shareRatio(torrent.stats()) >= ratio) resolveGoal({ kind: 'seed-ratio' });
      }, 500);
    }
  });
  try {
    const o = await run.until({ withDone: false, extra: reached });
    if (o.kind === 'seed-ratio' || o.kind === 'seed-time') live.note(`swarm: ${o.kind === 'seed-ratio' ? 'seed ratio' : 'seed time'} reached; stopping`);
    return o;
  } finally {
    clearTimeout(timer);
    clearInterval(check);
  }
}

/** A fatal error while running: one sentence, and what was kept. */
function diskError(err: Error, piecesDone: number): Error {
  if (!(err instanceof SwarmError) || err.input) return err;
  const kept = piecesDone > 0 ? `; the verified pieces (${piecesDone}) stay on disk: run the same command again to continue` : '';
  return new SwarmError(err.code, `${err.message}${kept}`, { cause: err });
}

function listFiles(m: Metainfo, flags: Flags): void {
  if (flags.json) {
    printJson({ name: m.name, infoHash: m.infoHashHex, files: m.files.map((f) => ({ index: f.index, path: f.path.join('/'), length: f.length })) });
    return;
  }
  const width = String(m.files.length).length;
  let out = '';
  for (const f of m.files) out += `${String(f.index).padStart(width)}  ${formatBytes(f.length).padStart(10)}  ${printable(f.path.join('/'))}\n`;
  process.stdout.write(out);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
