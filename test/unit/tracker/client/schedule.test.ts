import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BACKOFF, announceTimes, failureBackoffMs, retransmitTimeoutMs } from '../../../../src/tracker/client/schedule.js';
import { attemptOrder, prepareTiers, promote } from '../../../../src/tracker/client/tiers.js';

test('BEP 15 retransmission: 15 * 2^n seconds for n = 0..8', () => {
  assert.deepEqual(
    Array.from({ length: 9 }, (_, n) => retransmitTimeoutMs(n) / 1000),
    [15, 30, 60, 120, 240, 480, 960, 1920, 3840],
  );
  assert.equal(retransmitTimeoutMs(3, 10), 80, 'the base is configurable');
});

test('failure backoff doubles, starts higher after a failure reason, and is capped', () => {
  assert.deepEqual([1, 2, 3, 4].map((f) => failureBackoffMs(f, false) / 1000), [15, 30, 60, 120]);
  assert.deepEqual([1, 2].map((f) => failureBackoffMs(f, true) / 1000), [300, 600]);
  assert.equal(failureBackoffMs(50, false), BACKOFF.maxMs);
  assert.equal(failureBackoffMs(1000, true), BACKOFF.maxMs);
  fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.boolean(), (f, r) => {
    const ms = failureBackoffMs(f, r);
    assert.ok(ms >= failureBackoffMs(Math.max(1, f - 1), r) && ms <= BACKOFF.maxMs);
  }));
});

test('interval and min interval from a tracker answer, clamped', () => {
  assert.deepEqual(announceTimes({ interval: 1800, minInterval: 900 }), { intervalMs: 1_800_000, minIntervalMs: 900_000 });
  assert.deepEqual(announceTimes({}), { intervalMs: 1_800_000, minIntervalMs: 60_000 }, 'defaults: 30 min, and min interval 60 s');
  assert.deepEqual(announceTimes({ interval: 0, minInterval: 0 }), { intervalMs: 15_000, minIntervalMs: 15_000 }, 'a zero interval cannot cause a storm');
  assert.deepEqual(announceTimes({ interval: 10 ** 9 }).intervalMs, 24 * 3600_000);
  assert.deepEqual(announceTimes({ interval: 100, minInterval: 500 }), { intervalMs: 100_000, minIntervalMs: 100_000 }, 'min interval never exceeds interval');
  assert.deepEqual(announceTimes({ interval: 2 }, { defaultIntervalS: 1800, floorMs: 1000, ceilingMs: 10_000 }), { intervalMs: 2000, minIntervalMs: 2000 });
});

test('tiers: deduplicated, empty ones dropped, each shuffled, capped', () => {
  const tiers = [['a', 'b', 'c'], [' ', 'a'], ['d', 'e']];
  const t = prepareTiers(tiers, () => 0);
  assert.deepEqual(t.map((x) => [...x].sort()), [['a', 'b', 'c'], ['d', 'e']]);
  // a shuffle that is a real permutation: over many seeds every order of a 3-tier shows up
  const orders = new Set<string>();
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 200; i++) orders.add(prepareTiers([['a', 'b', 'c']], rnd)[0]!.join(''));
  assert.equal(orders.size, 6);
  assert.equal(prepareTiers([Array.from({ length: 500 }, (_, i) => `u${i}`)], Math.random, 100)[0]!.length, 100);
  assert.deepEqual(tiers, [['a', 'b', 'c'], [' ', 'a'], ['d', 'e']], 'the input is not changed');
});

test('promote moves the answering tracker to the front of its tier', () => {
  const tier = ['a', 'b', 'c'];
  promote(tier, 2);
  assert.deepEqual(tier, ['c', 'a', 'b']);
  promote(tier, 0);
  assert.deepEqual(tier, ['c', 'a', 'b']);
  promote(tier, 9);
  assert.deepEqual(tier, ['c', 'a', 'b']);
});

test('attempt order walks tiers front to back and is stable under promotion during the walk', () => {
  const tiers = [['a', 'b'], ['c', 'd']];
  const seen: string[] = [];
  for (const { tier, item } of attemptOrder(tiers)) {
    seen.push(item);
    if (item === 'b') promote(tier, tier.indexOf(item));
  }
  assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  assert.deepEqual(tiers, [['b', 'a'], ['c', 'd']]);
});
