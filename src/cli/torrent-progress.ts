import type { TorrentStats } from '../torrent/torrent.js';
import { formatBytes, formatDuration, formatRate, type OutputMode, printable, printJson, Progress } from './output.js';

/**
 * The live line of `swarm download` and `swarm seed`, built on output.ts: a cli-progress
 * line on a TTY, a plain line every few seconds when piped, NDJSON events with --json
 * (start, checking, checked, progress, peers, tracker, piece-failed, done, error,
 * stopped), nothing with --quiet. The text is made by the pure functions below.
 */

/** Seconds until done at the current download rate; Infinity when unknown. */
export function etaSeconds(s: TorrentStats): number {
  const left = Math.max(0, s.totalBytes - s.doneBytes);
  if (left === 0) return 0;
  return s.downRate > 0 ? left / s.downRate : Infinity;
}

/** Uploaded bytes per byte of the (selected) torrent: 1.0 means one full copy given away. */
export function shareRatio(s: TorrentStats): number {
  return s.totalBytes > 0 ? s.uploadedBytes / s.totalBytes : 0;
}

export function percentDone(s: TorrentStats): number {
  return s.totalBytes > 0 ? Math.floor((1000 * s.doneBytes) / s.totalBytes) / 10 : 100;
}

/** Trackers that failed their last announce, when every tracker is failing; else undefined. */
export function trackerTrouble(s: TorrentStats): string | undefined {
  if (s.trackers.length === 0 || s.trackers.some((t) => t.ok || t.lastError === undefined)) return undefined;
  const first = s.trackers[0]!.lastError!;
  const why = first.length > 48 ? `${first.slice(0, 47)}…` : first;
  return s.trackers.length === 1 ? `tracker failing: ${why}` : `all ${s.trackers.length} trackers failing: ${why}`;
}

function peersPart(s: TorrentStats): string {
  if (s.peers > 0) return `peers ${s.peers}/${s.knownPeers}`;
  return s.knownPeers > 0 ? `waiting for peers (${s.knownPeers} known)` : 'waiting for peers';
}

/**
 * The download status after the percentage. Plain (for logs): "30.3 MiB / 64.0 MiB | down
 * 12.1 MiB/s | up 0 B/s | peers 1/3 | ETA 3s". Compact (the TTY line, which fits 80
 * columns with its bar): "30.3 MiB/64.0 MiB ↓12.1 MiB/s ↑0 B/s peers 1/3 ETA 3s".
 */
export function downloadStatus(s: TorrentStats, compact = false): string {
  const parts = compact
    ? [`${formatBytes(s.doneBytes)}/${formatBytes(s.totalBytes)}`, `↓${formatRate(s.downRate)} ↑${formatRate(s.upRate)}`]
    : [`${formatBytes(s.doneBytes)} / ${formatBytes(s.totalBytes)}`, `down ${formatRate(s.downRate)}`, `up ${formatRate(s.upRate)}`];
  parts.push(peersPart(s));
  if (s.peers > 0) parts.push(`ETA ${formatDuration(etaSeconds(s))}`);
  const trouble = trackerTrouble(s);
  if (trouble) parts.push(trouble);
  return parts.join(compact ? ' ' : ' | ');
}

/** "peers 2 | up 5.1 MiB/s | uploaded 64.0 MiB | ratio 1.00" (compact: without the bars). */
export function seedStatus(s: TorrentStats, compact = false): string {
  const parts = [
    s.peers > 0 ? `peers ${s.peers}` : 'waiting for peers',
    compact ? `↑${formatRate(s.upRate)}` : `up ${formatRate(s.upRate)}`,
    `uploaded ${formatBytes(s.uploadedBytes)}`,
    `ratio ${shareRatio(s).toFixed(2)}`,
  ];
  if (s.doneBytes < s.totalBytes) parts.push(`serving ${percentDone(s).toFixed(1)}%`);
  const trouble = trackerTrouble(s);
  if (trouble) parts.push(trouble);
  return parts.join(compact ? ' ' : ' | ');
}

/** The NDJSON `progress` event: raw numbers for scripts. */
export function progressEvent(s: TorrentStats): Record<string, unknown> {
  const eta = etaSeconds(s);
  return {
    event: 'progress',
    phase: s.phase,
    percent: percentDone(s),
    doneBytes: s.doneBytes,
    totalBytes: s.totalBytes,
    piecesDone: s.piecesDone,
    piecesTotal: s.piecesTotal,
    downRate: Math.round(s.downRate),
    upRate: Math.round(s.upRate),
    downloadedBytes: s.downloadedBytes,
    uploadedBytes: s.uploadedBytes,
    wastedBytes: s.wastedBytes,
    failedPieces: s.failedPieces,
    peers: s.peers,
    knownPeers: s.knownPeers,
    eta: Number.isFinite(eta) ? Math.round(eta) : null,
    ratio: Math.round(shareRatio(s) * 1000) / 1000,
    trackers: s.trackers.map((t) => ({ url: t.url, ok: t.ok, error: t.lastError ?? null })),
  };
}

export type LiveKind = 'download' | 'seed';

export interface TorrentLiveOptions {
  mode: OutputMode;
  stats: () => TorrentStats;
  /** How often the line is refreshed and, with --json, a progress event written (default 250 ms on a TTY, else 1000 ms). */
  intervalMs?: number;
  /** Plain lines (not a TTY) while downloading, and while seeding (default 5 s and 30 s). */
  plainDownloadMs?: number;
  plainSeedMs?: number;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  jsonStream?: NodeJS.WritableStream;
}

export class TorrentLive {
  private readonly opts: TorrentLiveOptions;
  private progress: Progress | undefined;
  private checkBar: Progress | undefined;
  private kind: LiveKind | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPeers = -1;
  private readonly trackerOk = new Map<string, boolean>();

  constructor(opts: TorrentLiveOptions) {
    this.opts = opts;
  }

  get mode(): OutputMode {
    return this.opts.mode;
  }

  private get human(): boolean {
    return this.opts.mode === 'tty' || this.opts.mode === 'plain';
  }

  /** One NDJSON event (only with --json). */
  event(name: string, fields: Record<string, unknown> = {}): void {
    if (this.opts.mode === 'json') printJson({ event: name, ...fields }, this.opts.jsonStream);
  }

  /** A line for a person on stderr that does not break the live line (not with --json or --quiet). */
  note(message: string): void {
    if (!this.human) return;
    const bar = this.checkBar ?? this.progress;
    if (bar) bar.note(printable(message));
    else (this.opts.stream ?? process.stderr).write(`${printable(message)}\n`);
  }

  /** Hashing the data on disk: `bytes` of about `total` done. */
  checking(bytes: number, total: number): void {
    this.checkBar ??= new Progress({
      mode: this.opts.mode,
      total,
      event: 'checking',
      barFormat: 'checking {bar} {percentage}% | {done} / {size} | {rate} | ETA {time_left}',
      line: (s) => `checking ${s.percent.toFixed(1)}% ${formatBytes(s.value)} / ${formatBytes(s.total)} ${formatRate(s.rate)}`,
      stream: this.opts.stream,
      jsonStream: this.opts.jsonStream,
    });
    this.checkBar.update(Math.min(bytes, total));
  }

  /** Checking is over (the bar, if one was shown, ends). */
  checked(): void {
    this.checkBar?.stop();
    this.checkBar = undefined;
  }

  /** Starts (or switches) the live line and its refresh timer. */
  begin(kind: LiveKind): void {
    this.checked();
    if (this.kind === kind) return;
    this.progress?.stop();
    this.kind = kind;
    const s = this.opts.stats();
    // JSON events are written here, not by Progress: they carry the raw numbers
    const mode = this.opts.mode === 'json' ? 'quiet' : this.opts.mode;
    this.progress = new Progress({
      mode,
      total: s.totalBytes,
      barSize: 12,
      fields: { status: this.status(s) },
      barFormat: kind === 'download' ? '{bar} {percentage}% {status}' : 'seeding {status}',
      line: (p) => (kind === 'download' ? `${p.percent.toFixed(1)}% | ${p.fields.status}` : `seeding | ${p.fields.status}`),
      plainIntervalMs: kind === 'download' ? (this.opts.plainDownloadMs ?? 5_000) : (this.opts.plainSeedMs ?? 30_000),
      stream: this.opts.stream,
    });
    this.progress.update(s.doneBytes, { status: this.status(s) });
    if (!this.timer) {
      // a live timer also keeps the process alive while a download waits for peers
      this.timer = setInterval(() => this.tick(), this.opts.intervalMs ?? (this.opts.mode === 'tty' ? 250 : 1_000));
    }
  }

  private status(s: TorrentStats): string {
    const compact = this.opts.mode === 'tty';
    return this.kind === 'seed' ? seedStatus(s, compact) : downloadStatus(s, compact);
  }

  /** Refreshes the line; writes a JSON progress event; notes trackers that start or stop failing. */
  tick(): void {
    if (!this.kind || !this.progress) return;
    const s = this.opts.stats();
    this.progress.update(s.doneBytes, { status: this.status(s) });
    this.event('progress', progressEvent(s));
    for (const t of s.trackers) {
      const failing = !t.ok && t.lastError !== undefined;
      const was = this.trackerOk.get(t.url);
      if (failing && was !== false) {
        this.trackerOk.set(t.url, false);
        this.note(`swarm: tracker ${t.url} is not answering: ${t.lastError}`);
        this.event('tracker', { url: t.url, ok: false, error: t.lastError });
      } else if (t.ok && was !== true) {
        if (was === false) this.note(`swarm: tracker ${t.url} answers again`);
        this.trackerOk.set(t.url, true);
        this.event('tracker', { url: t.url, ok: true, error: null });
      }
    }
  }

  /** The torrent's peer set changed: a JSON `peers` event when the count moved. */
  peersChanged(): void {
    const s = this.opts.stats();
    if (s.peers === this.lastPeers) return;
    this.lastPeers = s.peers;
    this.event('peers', { peers: s.peers, knownPeers: s.knownPeers });
  }

  /** Stops the timer and ends the line with a last refresh. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.checked();
    if (this.progress && this.kind) {
      const s = this.opts.stats();
      this.progress.stop({ status: this.status(s) }, s.doneBytes);
    }
    this.progress = undefined;
    this.kind = undefined;
  }
}
