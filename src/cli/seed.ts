import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseTarget } from '../metainfo/magnet.js';
import { loadTorrentFile, type Metainfo } from '../metainfo/metainfo.js';
import type { Torrent } from '../torrent/torrent.js';
import { UsageError } from '../util/errors.js';
import { collectPeer, formatHostPort, type HostPort, parseBind, parsePort, parseRate } from './args.js';
import { MAGNET_UNSUPPORTED } from './download.js';
import { formatBytes, outputMode } from './output.js';
import type { EncryptionMode } from '../torrent/session.js';
import { addTorrent, ENCRYPTION_OPTION, openSession, type Outcome, TorrentRun } from './torrent-run.js';
import { TorrentLive } from './torrent-progress.js';

interface Flags {
  port?: number;
  bind: string;
  uploadLimit?: number;
  partial?: boolean;
  recheck?: boolean;
  peer?: HostPort[];
  trackers: boolean;
  encryption: EncryptionMode;
  json?: boolean;
  quiet?: boolean;
}

/** The port other clients use by default; taken, a free one is used instead. */
export const DEFAULT_SEED_PORT = 6881;

export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('verify the data, then serve it to peers until Ctrl-C')
    .argument('<torrent>', 'the .torrent file')
    .argument('<path>', 'the data (the file, or the torrent\'s top folder), or the folder that holds it')
    .addOption(new Option('--port <n>', `port for incoming peers (default: ${DEFAULT_SEED_PORT}, or a free port if it is taken)`).argParser((v) => parsePort('--port', v)))
    .addOption(new Option('--bind <host>', 'address to listen on').default('127.0.0.1').argParser(parseBind))
    .addOption(new Option('--upload-limit <rate>', 'bytes per second: 500k, 1M, 2G (powers of 1024; 0: no limit)').argParser((v) => parseRate('--upload-limit', v)))
    .option('--recheck', 'hash all the data instead of trusting the resume file from an earlier run')
    .option('--partial', 'seed the pieces that verify when some of the data does not match')
    .addOption(new Option('--peer <host:port>', 'a peer to connect to (one that cannot connect to us); repeatable').argParser(collectPeer))
    .addOption(ENCRYPTION_OPTION())
    .option('--no-trackers', "do not announce to the torrent's trackers")
    .option('--json', 'NDJSON events on stdout, one object per line')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (torrent: string, path: string, flags: Flags) => runSeed(torrent, path, flags));
}

export interface DataLocation {
  /** The folder the torrent's paths are relative to (the engine's root). */
  root: string;
  /** Where the torrent's file or top folder is. */
  data: string;
  /** 'itself': the path given is the data; 'inside': the data is in the folder given. */
  how: 'itself' | 'inside';
}

/**
 * Finds the data for `m` from what the user named: the file (single-file torrent) or the
 * top folder (multi-file) itself, or the folder that contains it.
 */
export async function locateData(m: Metainfo, path: string): Promise<DataLocation> {
  const p = resolve(path);
  const st = await stat(p).catch(() => null);
  if (!st) throw new UsageError('NOT_FOUND', `${path} does not exist`);
  const kind = m.multiFile ? 'folder' : 'file';
  const fits = (s: { isFile(): boolean; isDirectory(): boolean }) => (m.multiFile ? s.isDirectory() : s.isFile());
  if (basename(p) === m.name && fits(st)) return { root: dirname(p), data: p, how: 'itself' };
  if (st.isDirectory()) {
    const inner = join(p, m.name);
    const ist = await stat(inner).catch(() => null);
    if (ist && fits(ist)) return { root: p, data: inner, how: 'inside' };
    throw new UsageError('DATA_NOT_FOUND', `${path} does not hold the torrent's ${kind} "${m.name}": give the ${kind} itself or the folder that contains it`);
  }
  throw new UsageError('DATA_NOT_FOUND', `${path} is not the torrent's ${kind} "${m.name}": give the ${kind} itself (same name) or the folder that contains it`);
}

async function runSeed(torrentPath: string, path: string, flags: Flags): Promise<void> {
  const t = parseTarget(torrentPath);
  if (t.kind === 'magnet') throw new UsageError('MAGNET_UNSUPPORTED', MAGNET_UNSUPPORTED);
  const m = await loadTorrentFile(t.path);
  const loc = await locateData(m, path);
  const mode = outputMode(flags);
  const opened = await openSession({ host: flags.bind, port: flags.port ?? DEFAULT_SEED_PORT, fallback: flags.port === undefined, explicit: flags.port !== undefined, encryption: flags.encryption });
  const torrent = await addTorrent(opened.session, {
    metainfo: m,
    root: loc.root,
    uploadLimit: flags.uploadLimit,
    trackers: flags.trackers,
    recheck: flags.recheck ?? false,
    // never download: data that does not verify is reported (or, with --partial, left out)
    seedOnly: true,
  });
  const live = new TorrentLive({ mode, stats: () => torrent.stats() });
  const run = new TorrentRun(opened.session, torrent, live);
  const size = m.files.reduce((s, f) => s + f.length, 0);
  const where = formatHostPort(opened);
  live.event('start', {
    command: 'seed',
    name: m.name,
    infoHash: m.infoHashHex,
    data: loc.data,
    dataIs: loc.how,
    totalBytes: size,
    files: m.files.length,
    pieces: m.layout.pieceCount,
    host: opened.host,
    port: opened.port,
    trackers: flags.trackers ? m.announceTiers.flat() : [],
  });
  const how = loc.how === 'itself' ? 'the path given' : `found in ${resolve(path)}`;
  live.note(`swarm: seeding ${m.name} (${formatBytes(size)}) from ${loc.data} (${how})`);
  if (opened.fellBack) live.note(`swarm: port ${DEFAULT_SEED_PORT} is taken; using ${opened.port} instead`);
  live.note(`swarm: listening on ${where}`);

  let outcome: Outcome;
  try {
    outcome = await serve(run, flags, loc.root, size);
  } catch (err) {
    // a bug here must not leave the session open and the process hanging
    outcome = { kind: 'error', err: err instanceof Error ? err : new Error(String(err)) };
  }
  process.exitCode = await run.close(outcome);
  if (outcome.kind === 'error') throw outcome.err;
}

/** Verify, report what does not match, then serve until a signal or an error. */
async function serve(run: TorrentRun, flags: Flags, root: string, size: number): Promise<Outcome> {
  const { torrent, live } = run;
  const m = torrent.opts.metainfo;
  let outcome = await run.start(size);
  if (!outcome) {
    const s = torrent.stats();
    live.event('checked', { doneBytes: s.doneBytes, totalBytes: s.totalBytes, piecesDone: s.piecesDone, piecesTotal: s.piecesTotal });
    if (s.piecesDone < s.piecesTotal) {
      const bad = await firstBadFile(m, torrent, root);
      const failing = `${s.piecesTotal - s.piecesDone} of ${s.piecesTotal} pieces fail the hash check`;
      const detail = bad ? `${bad.path} ${bad.missing ? 'is missing' : 'does not match'} (${failing})` : failing;
      if (!flags.partial || s.piecesDone === 0) {
        const hint = s.piecesDone === 0 ? 'no piece verifies, so this is not the data of this torrent' : 'use --partial to seed the pieces that verify';
        return { kind: 'error', err: new UsageError('DATA_MISMATCH', `the data does not match the torrent: ${detail}; ${hint}`) };
      }
      live.note(`swarm: --partial: seeding the ${s.piecesDone} of ${s.piecesTotal} pieces that verify; ${detail}`);
    } else {
      live.note(`swarm: all ${s.piecesTotal} pieces verified; serving until Ctrl-C`);
    }
    live.begin('seed');
    torrent.addPeers(flags.peer ?? [], 'manual');
    outcome = await run.until({ withDone: false });
  }
  return outcome;
}

/**
 * The file to blame for failing pieces: the first missing one, else the first with a failed
 * piece that lies inside it alone, else the first that a failed piece touches.
 */
async function firstBadFile(m: Metainfo, torrent: Torrent, root: string): Promise<{ path: string; missing: boolean } | undefined> {
  const l = m.layout;
  let touched: string | undefined;
  for (const f of m.files) {
    const range = l.filePieces(f.layoutIndex);
    if (!range) continue;
    const path = join(root, ...f.path);
    const st = await stat(path).catch(() => null);
    if (!st || !st.isFile()) return { path, missing: true };
    for (let i = range.first; i <= range.last; i++) {
      if (torrent.haveBits.has(i)) continue;
      touched ??= path;
      if (l.spans(i).every((s) => s.file === f.layoutIndex || l.files[s.file]!.pad)) return { path, missing: false };
    }
  }
  return touched === undefined ? undefined : { path: touched, missing: false };
}
