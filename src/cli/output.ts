import cliProgress from 'cli-progress';

/**
 * Shared output helpers for every command: human sizes, rates and durations, and one
 * progress reporter that is a live bar on a TTY, a plain line every few seconds when
 * piped, NDJSON events with --json, and silent with --quiet.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units with three significant digits: 512 B, 1.50 KiB, 15.3 MiB, 152 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? B';
  if (n < 1024) return `${Math.round(n)} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // 1023.7 KiB would print as "1024 KiB": round first, then move up a unit if needed
  if (Number(v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(Number.isFinite(bytesPerSec) && bytesPerSec > 0 ? bytesPerSec : 0)}/s`;
}

/** 42s, 3m05s, 2h03m, 3d04h; '--' when unknown (no rate yet, or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const pad = (x: number): string => String(x).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** Text from a torrent or a peer, safe to print to a terminal: control characters become '?'. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, '?');
}

export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet';

/** --json wins over --quiet (scripts want their events); otherwise the stream decides. */
export function outputMode(flags: { json?: boolean; quiet?: boolean }, stream: { isTTY?: boolean } = process.stderr): OutputMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return stream.isTTY ? 'tty' : 'plain';
}

export type Fields = Record<string, string | number | boolean | null>;

export interface Snapshot {
  value: number;
  total: number;
  /** 0-100, one decimal. */
  percent: number;
  /** Value units per second over the last few seconds. */
  rate: number;
  /** Seconds left at that rate; Infinity when unknown. */
  eta: number;
  elapsed: number;
  fields: Fields;
}

export interface ProgressOptions {
  mode: OutputMode;
  total: number;
  /**
   * The live line on a TTY (cli-progress format). Tokens: {bar} {percentage}, our formatted
   * {done} {size} {rate} {time_left} {elapsed}, and every key of the caller's fields. (Not
   * {eta}: cli-progress fills that one itself, in raw seconds.)
   */
  barFormat?: string;
  /** The plain line when not on a TTY. */
  line?: (s: Snapshot) => string;
  /** Width of the bar in characters (default 24). */
  barSize?: number;
  /** Fields to show from the first frame (so a custom token never shows unfilled). */
  fields?: Fields;
  /** NDJSON `event` name; default 'progress'. */
  event?: string;
  /** Plain lines at most this often (default 5000 ms); NDJSON at most this often (default 1000 ms). */
  plainIntervalMs?: number;
  jsonIntervalMs?: number;
  /** Where the bar and plain lines go (default stderr) and where NDJSON goes (default stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  jsonStream?: NodeJS.WritableStream;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

const DEFAULT_BAR = '{bar} {percentage}% | {done} / {size} | {rate} | ETA {time_left}';
const RATE_WINDOW_MS = 5000;

export function defaultLine(s: Snapshot): string {
  return `${s.percent.toFixed(1)}% ${formatBytes(s.value)} / ${formatBytes(s.total)} ${formatRate(s.rate)} ETA ${formatDuration(s.eta)}`;
}

export class Progress {
  private readonly opts: ProgressOptions;
  private readonly now: () => number;
  private readonly started: number;
  private readonly samples: Array<{ t: number; v: number }> = [];
  private bar: cliProgress.SingleBar | undefined;
  private lastEmit: number;
  private value = 0;
  private fields: Fields = {};
  private stopped = false;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.lastEmit = this.started;
    this.samples.push({ t: this.started, v: 0 });
    if (opts.fields) this.fields = { ...opts.fields };
    if (opts.mode === 'tty') {
      this.bar = new cliProgress.SingleBar({
        stream: this.stream,
        format: opts.barFormat ?? DEFAULT_BAR,
        barsize: opts.barSize ?? 24,
        hideCursor: false,
        // its own SIGINT handler would swallow Ctrl-C; the command handles signals
        gracefulExit: false,
        linewrap: true,
        barCompleteChar: '#',
        barIncompleteChar: '-',
      });
      this.bar.start(Math.max(1, opts.total), 0, this.payload(this.snapshot()));
    }
  }

  private get stream(): NodeJS.WritableStream & { isTTY?: boolean } {
    return this.opts.stream ?? process.stderr;
  }

  get total(): number {
    return this.opts.total;
  }

  snapshot(): Snapshot {
    const t = this.now();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    const rate = dt > 0 ? (this.value - first.v) / dt : 0;
    const total = this.opts.total;
    const left = Math.max(0, total - this.value);
    return {
      value: this.value,
      total,
      percent: total > 0 ? Math.round((1000 * this.value) / total) / 10 : 100,
      rate,
      eta: left === 0 ? 0 : rate > 0 ? left / rate : Infinity,
      elapsed: (t - this.started) / 1000,
      fields: { ...this.fields },
    };
  }

  update(value: number, fields?: Fields): void {
    if (this.stopped) return;
    const t = this.now();
    this.value = value;
    if (fields) Object.assign(this.fields, fields);
    // one sample per 100 ms at most: the window holds at most ~50 of them
    const last = this.samples[this.samples.length - 1]!;
    if (t - last.t >= 100) this.samples.push({ t, v: value });
    else if (this.samples.length > 1) last.v = value;
    while (this.samples.length > 2 && t - this.samples[1]!.t >= RATE_WINDOW_MS) this.samples.shift();
    const mode = this.opts.mode;
    if (mode === 'tty') {
      this.bar!.update(Math.min(value, Math.max(1, this.opts.total)), this.payload(this.snapshot()));
    } else if (mode === 'plain' && t - this.lastEmit >= (this.opts.plainIntervalMs ?? 5000)) {
      this.lastEmit = t;
      this.stream.write(`${this.lineFor(this.snapshot())}\n`);
    } else if (mode === 'json' && t - this.lastEmit >= (this.opts.jsonIntervalMs ?? 1000)) {
      this.lastEmit = t;
      this.emitJson(this.snapshot());
    }
  }

  /** A message that does not break the live line (stderr; nothing with --quiet or --json). */
  note(message: string): void {
    const mode = this.opts.mode;
    if (mode === 'quiet' || mode === 'json') return;
    if (mode === 'tty' && this.bar && !this.stopped) {
      this.stream.write(`\r\x1b[2K${message}\n`);
      this.bar.render();
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  /** Ends the live line; prints one last plain line or NDJSON event with the final state (`value`: the last value, if it moved). */
  stop(fields?: Fields, value?: number): Snapshot {
    if (fields) Object.assign(this.fields, fields);
    if (value !== undefined && !this.stopped) this.value = value;
    const s = this.snapshot();
    if (this.stopped) return s;
    this.stopped = true;
    if (this.opts.mode === 'tty') {
      this.bar!.update(Math.min(this.value, Math.max(1, this.opts.total)), this.payload(s));
      this.bar!.stop();
    } else if (this.opts.mode === 'plain') {
      this.stream.write(`${this.lineFor(s)}\n`);
    } else if (this.opts.mode === 'json') {
      this.emitJson(s);
    }
    return s;
  }

  private lineFor(s: Snapshot): string {
    return printable((this.opts.line ?? defaultLine)(s));
  }

  private emitJson(s: Snapshot): void {
    const rate = Math.round(s.rate);
    const eta = Number.isFinite(s.eta) ? Math.round(s.eta * 10) / 10 : null;
    const event = { event: this.opts.event ?? 'progress', value: s.value, total: s.total, percent: s.percent, rate, eta, ...s.fields };
    (this.opts.jsonStream ?? process.stdout).write(`${JSON.stringify(event)}\n`);
  }

  private payload(s: Snapshot): Record<string, string | number | boolean | null> {
    const custom: Fields = {};
    for (const [k, v] of Object.entries(s.fields)) custom[k] = typeof v === 'string' ? printable(v) : v;
    return {
      done: formatBytes(s.value),
      size: formatBytes(s.total),
      rate: formatRate(s.rate),
      time_left: formatDuration(s.eta),
      elapsed: formatDuration(s.elapsed),
      ...custom,
    };
  }
}

/** One JSON object on one line of stdout. */
export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value)}\n`);
}
