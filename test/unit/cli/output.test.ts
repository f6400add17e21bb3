import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { formatBytes, formatDuration, formatRate, outputMode, printable, Progress, type OutputMode } from '../../../src/cli/output.js';

test('formatBytes: binary units, three significant digits', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [15.3 * 1024 * 1024, '15.3 MiB'],
    [152 * 1024 ** 3, '152 GiB'],
    [1024 * 1024 - 1, '1.00 MiB'],
    [2 ** 53, '8.00 PiB'],
    [-1, '? B'],
    [NaN, '? B'],
  ];
  for (const [n, s] of cases) assert.equal(formatBytes(n), s, String(n));
  assert.equal(formatRate(2.5 * 1024 * 1024), '2.50 MiB/s');
  assert.equal(formatRate(-5), '0 B/s');
  assert.equal(formatRate(Infinity), '0 B/s');
});

test('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [42.4, '42s'],
    [185, '3m05s'],
    [7380, '2h03m'],
    [3 * 86400 + 4 * 3600, '3d04h'],
    [Infinity, '--'],
    [-1, '--'],
    [NaN, '--'],
  ];
  for (const [n, s] of cases) assert.equal(formatDuration(n), s, String(n));
});

test('printable replaces control characters, keeps text', () => {
  assert.equal(printable('a\x1b[31mred\x07\u009b'), 'a?[31mred??');
  assert.equal(printable('caf\u00e9 \u{1f600}\ttab'), 'caf\u00e9 \u{1f600}\ttab');
});

test('outputMode: --json, then --quiet, then the stream', () => {
  assert.equal(outputMode({ json: true, quiet: true }, { isTTY: true }), 'json');
  assert.equal(outputMode({ quiet: true }, { isTTY: true }), 'quiet');
  assert.equal(outputMode({}, { isTTY: true }), 'tty');
  assert.equal(outputMode({}, { isTTY: false }), 'plain');
});

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 120;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

function run(mode: OutputMode, steps: Array<[number, number]>, extra: Partial<ConstructorParameters<typeof Progress>[0]> = {}): { err: Capture; out: Capture } {
  const err = new Capture(mode === 'tty');
  const out = new Capture(false);
  let now = 1_000_000;
  const p = new Progress({ mode, total: 1000, stream: err, jsonStream: out, now: () => now, ...extra });
  for (const [t, v] of steps) {
    now = 1_000_000 + t;
    p.update(v, { peers: 3 });
  }
  p.note('a note');
  now += 100;
  p.stop();
  return { err, out };
}

const steps: Array<[number, number]> = [
  [500, 100],
  [1000, 200],
  [5200, 600],
  [6000, 700],
  [10400, 900],
];

test('plain mode: a line at most every interval, plus a final one', () => {
  const { err, out } = run('plain', steps);
  const lines = err.text.trim().split('\n');
  assert.deepEqual(lines, [
    '60.0% 600 B / 1000 B 115 B/s ETA 3s',
    // the rate is measured over the last 5 s or more: 300 B since t=5.2 s
    '90.0% 900 B / 1000 B 58 B/s ETA 2s',
    'a note',
    '90.0% 900 B / 1000 B 57 B/s ETA 2s',
  ]);
  assert.equal(out.text, '');
});

test('json mode: NDJSON events with the caller fields, nothing on stderr', () => {
  const { err, out } = run('json', steps, { event: 'download' });
  const events = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  // at t=1000, 5200 and 10400 (500 and 6000 come too soon after the one before), then the final one
  assert.deepEqual(events.map((e) => e.value), [200, 600, 900, 900]);
  for (const e of events) {
    assert.equal(e.event, 'download');
    assert.equal(e.total, 1000);
    assert.equal(e.peers, 3);
    assert.equal(typeof e.rate, 'number');
  }
  assert.equal(events.at(-1)!.value, 900);
  assert.equal(err.text, '');
});

test('quiet mode prints nothing', () => {
  const { err, out } = run('quiet', steps);
  assert.equal(err.text + out.text, '');
});

test('tty mode draws a cli-progress bar with custom fields', () => {
  const { err } = run('tty', steps, { barFormat: '{bar} {percentage}% {done}/{size} peers {peers}' });
  assert.match(err.text, /90% 900 B\/1000 B peers 3/);
  assert.match(err.text, /a note\n/);
  assert.match(err.text, /#{5,}/);
});

test('tty mode default line: our formatted sizes, rate and time left', () => {
  const { err } = run('tty', steps);
  assert.match(err.text, /90% \| 900 B \/ 1000 B \| 5\d B\/s \| ETA 2s/);
});
