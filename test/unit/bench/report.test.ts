import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Letter, RunRecord, Sample } from '../../bench/download.js';
import { RUNS, scenarios } from '../../bench/download.js';
import { goalTable, goals, median, summarize, table } from '../../bench/report.js';

const GiB = 1024 ** 3;

function sample(round: number, wallSec: number, cpuSec: number, peakRssMB: number, ok = true): Sample {
  return { round, ok, ...(ok ? {} : { error: 'killed after 300 s without finishing' }), wallSec, usage: { cpuSec, peakRssMB, peakAnonMB: peakRssMB / 2, samples: 10 } };
}

function record(letter: Letter, samples: Sample[]): RunRecord {
  return { scenario: 'one', letter, ...RUNS[letter], samples };
}

test('median: odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test('summarize: medians over the runs that finished; failed runs listed, not averaged in', () => {
  const s = summarize(record('b', [sample(1, 6, 3, 100), sample(2, 4, 5, 120), sample(3, 300, 1, 10, false), sample(4, 5, 4, 110)]), GiB);
  assert.equal(s.ok, 3);
  assert.equal(s.total, 4);
  assert.deepEqual(s.errors, ['round 3: killed after 300 s without finishing']);
  assert.equal(s.median!.wallSec, 5);
  assert.equal(s.median!.cpuSec, 4);
  assert.equal(s.median!.cpuPerGiB, 4);
  assert.equal(s.median!.peakRssMB, 110);
  assert.equal(Math.round(s.median!.mbps), Math.round(GiB / 1e6 / 5));
  const none = summarize(record('c', [sample(1, 300, 1, 10, false)]), GiB);
  assert.equal(none.median, undefined);
});

test('goals: ratios to run a against their limits; n/a where a run is missing', () => {
  const sums = [
    summarize(record('a', [sample(1, 10, 4, 1100)]), GiB),
    summarize(record('b', [sample(1, 9, 7, 140)]), GiB),
    summarize(record('c', [sample(1, 11, 5, 160)]), GiB),
  ];
  const g = goals('one', sums);
  const by = (prefix: string) => g.find((x) => x.what.startsWith(prefix))!;
  assert.equal(by('b/a wall').value, 0.9);
  assert.equal(by('b/a wall').met, true);
  assert.equal(by('c/a wall').value, 1.1);
  assert.equal(by('c/a wall').met, false);
  assert.equal(by('b/a leecher CPU').value, 1.75);
  assert.equal(by('b/a leecher CPU').met, false);
  assert.equal(by('c/a leecher CPU').value, 1.25);
  assert.equal(by('c/a leecher CPU').met, true);
  assert.equal(by('d/a wall').value, null);
  assert.equal(by('d/a wall').met, null);
  assert.deepEqual(by('d/a wall').needs, ['d', 'a']);
  assert.deepEqual(by('b: swarm').needs, ['b']);
  assert.equal(by('b: swarm').met, true);
  assert.equal(by('c: swarm').met, false);
  // the limit is strict for memory: exactly 150 MB is not under 150 MB
  const at = goals('one', [summarize(record('b', [sample(1, 9, 7, 150)]), GiB)]);
  assert.equal(at.find((x) => x.what.startsWith('b: swarm'))!.met, false);
  const text = goalTable(g);
  assert.match(text, /NOT met/);
  assert.match(text, /n\/a \(needs runs d and a\)/);
});

test('goals: wall ratios also within each round, only where both runs of the round finished', () => {
  const sums = [
    summarize(record('a', [sample(1, 10, 4, 1100), sample(2, 20, 4, 1100), sample(3, 10, 4, 1100)]), GiB),
    summarize(record('b', [sample(1, 9, 7, 140), sample(2, 10, 7, 140), sample(3, 300, 1, 10, false)]), GiB),
  ];
  const g = goals('one', sums);
  const wall = g.find((x) => x.what.startsWith('b/a wall'))!;
  // medians: b 9.5 of its two finished runs, a 10
  assert.equal(wall.value, 0.95);
  assert.deepEqual(wall.perRound, [0.9, 0.5]);
  assert.equal(g.find((x) => x.what.startsWith('b/a leecher CPU'))!.perRound, undefined);
  assert.equal(g.find((x) => x.what.startsWith('d/a wall'))!.perRound?.length, 0);
  assert.match(goalTable(g), /0\.90 0\.50/);
});

test('table: columns line up; numbers to the right', () => {
  const t = table(['name', 'n'], [['a', '1.5'], ['longer', '12.25']]).split('\n');
  assert.equal(t.length, 4);
  assert.equal(t[2], 'a         1.5');
  assert.equal(t[3], 'longer  12.25');
});

test('scenarios: the payload of big is four times the size', () => {
  const s = scenarios(256, ['one', 'big']);
  assert.deepEqual(s.map((x) => x.key), ['one', 'big']);
  assert.equal(s[0]!.bytes, 256 * 2 ** 20);
  assert.equal(s[1]!.bytes, 4 * 256 * 2 ** 20);
});
