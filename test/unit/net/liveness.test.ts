import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Liveness } from '../../../src/net/liveness.js';

test('silence for the idle timeout closes; any byte received restarts the clock', () => {
  const l = new Liveness(120_000, 100_000, 0, 68, 68);
  assert.equal(l.tick(60_000, 68, 100, false), null);
  assert.equal(l.tick(119_999, 68, 200, false), null);
  assert.equal(l.tick(120_000, 68, 300, false), 'idle-timeout');
  const m = new Liveness(120_000, 100_000, 0, 68, 68);
  assert.equal(m.tick(100_000, 73, 100, false), null);
  assert.equal(m.tick(219_999, 73, 200, false), null);
  assert.equal(m.tick(220_000, 73, 300, false), 'idle-timeout');
});

test('silence while paused is ours, not the peer\'s', () => {
  const l = new Liveness(1000, 1_000_000, 0, 0, 0);
  assert.equal(l.tick(5000, 0, 1, true), null);
  assert.equal(l.tick(5999, 0, 2, false), null);
  assert.equal(l.tick(6000, 0, 3, false), 'idle-timeout');
});

test('a keep-alive is due after keepAliveMs without sending, and not while sending', () => {
  const l = new Liveness(1_000_000, 100, 0, 0, 68);
  assert.equal(l.tick(99, 1, 68, false), null);
  assert.equal(l.tick(100, 2, 68, false), 'keep-alive');
  // the caller sent 4 bytes: the clock restarts at the next tick
  assert.equal(l.tick(125, 3, 72, false), null);
  assert.equal(l.tick(224, 4, 72, false), null);
  assert.equal(l.tick(225, 5, 72, false), 'keep-alive');
  const busy = new Liveness(1_000_000, 100, 0, 0, 0);
  for (let t = 25, sent = 1; t < 1000; t += 25, sent++) assert.equal(busy.tick(t, t, sent, false), null);
});

test('ticks often enough for the shorter deadline', () => {
  assert.equal(new Liveness(120_000, 100_000, 0, 0, 0).tickMs, 25_000);
  assert.equal(new Liveness(200, 40, 0, 0, 0).tickMs, 10);
  assert.equal(new Liveness(1, 1, 0, 0, 0).tickMs, 5);
});
