/**
 * Medians, the goals of issue 7 as ratios within one run, and the text table. Pure: takes
 * the records, returns values and strings.
 */
import type { Letter, RunRecord, Scenario, ScenarioKey } from './download.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export interface Summary {
  scenario: ScenarioKey;
  letter: Letter;
  seeder: string;
  leecher: string;
  ok: number;
  total: number;
  errors: string[];
  /** Medians over the runs that completed; absent when none did. */
  median?: { wallSec: number; mbps: number; cpuSec: number; cpuPerGiB: number; peakRssMB: number; peakAnonMB: number };
  walls: number[];
  /** Wall seconds by round number, for the runs that completed (a plain object: it goes into the JSON). */
  wallByRound: Record<number, number>;
}

const GiB = 1024 ** 3;

export function summarize(rec: RunRecord, bytes: number): Summary {
  const good = rec.samples.filter((x) => x.ok);
  const s: Summary = {
    scenario: rec.scenario,
    letter: rec.letter,
    seeder: rec.seeder,
    leecher: rec.leecher,
    ok: good.length,
    total: rec.samples.length,
    errors: rec.samples.filter((x) => !x.ok).map((x) => `round ${x.round}: ${x.error}`),
    walls: good.map((x) => x.wallSec),
    wallByRound: Object.fromEntries(good.map((x) => [x.round, x.wallSec])),
  };
  if (good.length) {
    const wallSec = median(good.map((x) => x.wallSec));
    const cpuSec = median(good.map((x) => x.usage.cpuSec));
    s.median = {
      wallSec,
      mbps: bytes / 1e6 / wallSec,
      cpuSec,
      cpuPerGiB: cpuSec / (bytes / GiB),
      peakRssMB: median(good.map((x) => x.usage.peakRssMB)),
      peakAnonMB: median(good.map((x) => x.usage.peakAnonMB)),
    };
  }
  return s;
}

export interface Goal {
  scenario: ScenarioKey;
  what: string;
  value: number | null;
  /** 'max': value <= limit; 'below': value < limit. */
  limit: number;
  kind: 'max' | 'below';
  unit: string;
  met: boolean | null;
  /** The runs it compares: a goal is only worth showing when they were all asked for. */
  needs: Letter[];
  why?: string;
  /**
   * Wall ratios only: the same ratio within each round (its two runs ran a few seconds
   * apart), to show how much of the median ratio is the machine's noise.
   */
  perRound?: number[];
}

/** The goals of issue 7 for one scenario, from the medians of that scenario in this run. */
export function goals(scenario: ScenarioKey, sums: Summary[]): Goal[] {
  const m = (l: Letter) => sums.find((s) => s.letter === l)?.median;
  const out: Goal[] = [];
  type Pick = (x: NonNullable<Summary['median']>) => number;
  // wall ratios also get the same ratio round by round (CPU has no per-round record)
  const wall: Pick = (x) => x.wallSec;
  const cpu: Pick = (x) => x.cpuPerGiB;
  const ratio = (what: string, num: Letter, den: Letter, pick: Pick, limit: number) => {
    const n = m(num);
    const d = m(den);
    const value = n && d ? pick(n) / pick(d) : null;
    const why = value === null ? `needs runs ${num} and ${den}` : undefined;
    const g: Goal = { scenario, what, value, limit, kind: 'max', unit: 'x', met: value === null ? null : value <= limit, needs: [num, den], ...(why ? { why } : {}) };
    if (pick === wall) g.perRound = perRound(num, den);
    out.push(g);
  };
  const perRound = (num: Letter, den: Letter): number[] => {
    const n = sums.find((s) => s.letter === num)?.wallByRound;
    const d = sums.find((s) => s.letter === den)?.wallByRound;
    if (!n || !d) return [];
    return Object.keys(n)
      .map(Number)
      .filter((round) => d[round] !== undefined)
      .sort((x, y) => x - y)
      .map((round) => n[round]! / d[round]!);
  };
  ratio('b/a wall: swarm download vs libtorrent, both from libtorrent', 'b', 'a', wall, 1.0);
  ratio('c/a wall: swarm -> swarm vs libtorrent -> libtorrent', 'c', 'a', wall, 1.0);
  ratio('b/a leecher CPU s per GiB', 'b', 'a', cpu, 1.5);
  ratio('c/a leecher CPU s per GiB', 'c', 'a', cpu, 1.5);
  ratio('d/a wall: libtorrent from swarm seed vs from libtorrent', 'd', 'a', wall, 1.0);
  for (const l of ['b', 'c'] as Letter[]) {
    const x = m(l);
    const value = x ? x.peakRssMB : null;
    out.push({ scenario, what: `${l}: swarm download peak RSS (VmHWM)`, value, limit: 150, kind: 'below', unit: 'MB', met: value === null ? null : value < 150, needs: [l], ...(x ? {} : { why: `needs run ${l}` }) });
  }
  return out;
}

function pad(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
}

/** A plain-text table; numeric-looking columns are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d.x/]*$/.test(r[i] ?? '')));
  return [pad(header, widths, right), pad(widths.map((w) => '-'.repeat(w)), widths, right), ...rows.map((r) => pad(r, widths, right))].join('\n');
}

const f = (x: number | undefined, d: number) => (x === undefined ? '-' : x.toFixed(d));

export function downloadTable(s: Scenario, sums: Summary[], rounds: number): string {
  const rows = sums.map((x) => [
    x.letter,
    `${x.seeder} -> ${x.leecher}`,
    `${x.ok}/${x.total}`,
    f(x.median?.wallSec, 2),
    f(x.median?.mbps, 0),
    f(x.median?.cpuSec, 2),
    f(x.median?.cpuPerGiB, 2),
    f(x.median?.peakRssMB, 0),
    f(x.median?.peakAnonMB, 0),
    x.walls.map((w) => w.toFixed(1)).join(' '),
  ]);
  const head = `download: ${s.title} (median of ${rounds} round${rounds > 1 ? 's' : ''}; leecher measured)`;
  const t = table(['run', 'seeder -> leecher', 'ok', 'wall s', 'MB/s', 'CPU s', 'CPU s/GiB', 'peak RSS MB', 'peak anon MB', 'wall s per round'], rows);
  const errs = sums.flatMap((x) => x.errors.map((e) => `  ${x.letter} ${e}`));
  return [head, t, ...errs].join('\n');
}

export function goalTable(gs: Goal[]): string {
  const rows = gs.map((g) => [
    g.scenario,
    g.what,
    g.value === null ? '-' : g.value.toFixed(2),
    `${g.kind === 'max' ? '<=' : '<'} ${g.limit}${g.unit === 'x' ? '' : ` ${g.unit}`}`,
    g.met === null ? `n/a (${g.why})` : g.met ? 'met' : 'NOT met',
    g.perRound?.length ? g.perRound.map((x) => x.toFixed(2)).join(' ') : '',
  ]);
  return ['goals (ratios of medians from this run)', table(['scenario', 'goal', 'measured', 'limit', 'status', 'same ratio in each round'], rows)].join('\n');
}

export function resultsTable(title: string, rs: BenchResult[]): string {
  const rows = rs.map((r) => [r.name, String(r.value), r.unit, r.note ?? '']);
  return [title, table(['measure', 'value', 'unit', 'note'], rows)].join('\n');
}

/** Every download median as a flat row, the shape the other bench modules return. */
export function flatten(s: Scenario, sums: Summary[]): BenchResult[] {
  const out: BenchResult[] = [];
  for (const x of sums) {
    const name = `download ${s.key} ${x.letter} (${x.seeder} -> ${x.leecher})`;
    const note = `${s.title}; median of ${x.ok}/${x.total} runs`;
    if (!x.median) {
      out.push({ name: `${name} wall`, value: 0, unit: 's', note: `not measured: ${x.errors.join('; ') || 'no run'}` });
      continue;
    }
    const r = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
    out.push({ name: `${name} wall`, value: r(x.median.wallSec, 3), unit: 's', note });
    out.push({ name: `${name} rate`, value: r(x.median.mbps, 1), unit: 'MB/s', note });
    out.push({ name: `${name} leecher CPU`, value: r(x.median.cpuSec, 3), unit: 's', note });
    out.push({ name: `${name} leecher CPU per GiB`, value: r(x.median.cpuPerGiB, 3), unit: 's/GiB', note });
    out.push({ name: `${name} leecher peak RSS`, value: r(x.median.peakRssMB, 1), unit: 'MB', note: `${note}; VmHWM` });
    out.push({ name: `${name} leecher peak anon RSS`, value: r(x.median.peakAnonMB, 1), unit: 'MB', note: `${note}; RssAnon` });
  }
  return out;
}
