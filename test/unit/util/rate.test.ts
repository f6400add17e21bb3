import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateMeter } from '../../../src/util/rate.js';

test('steady 10 kB/s reads as 10 kB/s once the window is full', () => {
  const m = new RateMeter();
  for (let t = 0; t < 10_000; t += 100) m.add(1000, t);
  const r = m.rate(10_000);
  assert.ok(r > 9_000 && r < 11_000, `rate ${r}`);
  assert.equal(m.total, 100 * 1000);
});

test('a young meter divides by its age, not by the whole window', () => {
  const m = new RateMeter();
  m.add(5000, 0);
  m.add(5000, 1000);
  // 10 kB in the first ~2 s: about 5 kB/s, not 10 kB / 5 s
  const r = m.rate(2000);
  assert.ok(r >= 4_900 && r <= 5_100, `rate ${r}`);
  assert.equal(m.rate(0), 5000, 'first second counts as one whole second');
});

test('old bytes leave the window; an idle meter reads 0', () => {
  const m = new RateMeter(5000, 1000);
  for (let t = 0; t < 3000; t += 100) m.add(1000, t);
  assert.ok(m.rate(3000) > 0);
  assert.equal(m.rate(9000), 0);
  assert.equal(m.total, 30_000);
  m.add(2000, 9500);
  assert.ok(m.rate(9600) > 0);
});

test('rate drops as a burst slides out of the window', () => {
  const m = new RateMeter();
  for (let t = 0; t < 5000; t += 50) m.add(500, t);
  const full = m.rate(5000);
  const later = m.rate(7500);
  assert.ok(later < full, `${later} < ${full}`);
  assert.ok(later > 0);
});

test('no bytes, no rate; zero and negative adds are ignored', () => {
  const m = new RateMeter();
  assert.equal(m.rate(1234), 0);
  m.add(0, 0);
  m.add(-5, 0);
  assert.equal(m.total, 0);
  assert.equal(m.rate(10), 0);
});

test('a window must hold at least two buckets', () => {
  assert.throws(() => new RateMeter(1000, 1000), RangeError);
  assert.throws(() => new RateMeter(1000, 0), RangeError);
  assert.doesNotThrow(() => new RateMeter(2000, 1000));
});
