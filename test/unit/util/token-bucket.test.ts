import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../../src/util/token-bucket.js';

const BLOCK = 16 * 1024;

test('10 s at 1 MB/s with a fake clock delivers 0.9-1.1 MB/s', () => {
  const rate = 1_000_000;
  const b = new TokenBucket(rate);
  let now = 0;
  let sent = 0;
  let steps = 0;
  // a sender that wants 16 KiB blocks and sleeps exactly as long as the bucket says
  while (now < 10_000) {
    const wait = b.delayFor(BLOCK, now);
    if (wait > 0) {
      now += wait;
      continue;
    }
    const got = b.take(BLOCK, now);
    assert.equal(got, BLOCK, 'delayFor 0 means the whole block is there');
    if (now < 10_000) sent += got;
    steps++;
  }
  const delivered = sent / 10;
  assert.ok(delivered >= 0.9 * rate && delivered <= 1.1 * rate, `delivered ${delivered} B/s in ${steps} sends`);
});

test('a greedy sender polling every 7 ms gets the rate, not more', () => {
  const b = new TokenBucket(200_000, 20_000);
  let sent = 0;
  for (let now = 0; now <= 5000; now += 7) sent += b.take(50_000, now);
  // the initial full bucket plus 5 s at the rate
  assert.ok(sent <= 20_000 + 200_000 * 5, `sent ${sent}`);
  assert.ok(sent >= 0.95 * 200_000 * 5, `sent ${sent}`);
});

test('take grants what is there; delayFor says how long until the rest', () => {
  const b = new TokenBucket(1000, 2000);
  assert.equal(b.take(1500, 0), 1500);
  assert.equal(b.take(1500, 0), 500);
  assert.equal(b.take(10, 0), 0);
  assert.equal(b.delayFor(1000, 0), 1000);
  assert.equal(b.delayFor(1000, 500), 500);
  assert.equal(b.take(1000, 1000), 1000);
  // never more than the burst accumulates
  assert.equal(b.take(10_000, 60_000), 2000);
  // asking for more than the burst waits for a full bucket only
  assert.equal(b.delayFor(10_000, 60_000), 2000);
});

test('spend goes into debt that later delays pay back', () => {
  const b = new TokenBucket(1000, 1000);
  b.take(1000, 0);
  b.spend(3000, 0);
  assert.equal(b.delayFor(1, 0), 3001);
  assert.equal(b.take(500, 2000), 0);
  assert.equal(b.take(500, 3500), 500);
});

test('0 and Infinity are unlimited', () => {
  for (const r of [0, Infinity]) {
    const b = new TokenBucket(r);
    assert.ok(b.unlimited);
    assert.equal(b.take(1e9, 0), 1e9);
    assert.equal(b.delayFor(1e9, 0), 0);
    b.spend(1e12, 0);
    assert.equal(b.delayFor(1e9, 0), 0);
  }
});

test('setRate changes the limit and clamps saved tokens to the new burst', () => {
  const b = new TokenBucket(1000, 5000);
  b.setRate(100, 500);
  assert.equal(b.take(5000, 0), 500);
  assert.equal(b.delayFor(100, 0), 1000);
  b.setRate(0);
  assert.ok(b.unlimited);
});

test('a clock that steps back does not mint tokens', () => {
  const b = new TokenBucket(1000, 1000);
  assert.equal(b.take(1000, 10_000), 1000);
  assert.equal(b.take(1000, 5_000), 0);
  assert.equal(b.take(1000, 5_500), 500);
});

test('bad rates are refused', () => {
  assert.throws(() => new TokenBucket(-1), RangeError);
  assert.throws(() => new TokenBucket(Number.NaN), RangeError);
  assert.throws(() => new TokenBucket(100, 0), RangeError);
});
