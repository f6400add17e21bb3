import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadGovernor } from '../../../src/storage/read-governor.js';

test('reads stay synchronous while they are fast, and through one slow read alone', () => {
  const g = new ReadGovernor(5, 1000, 100_000);
  let now = 0;
  for (let i = 0; i < 100; i++) {
    assert.ok(g.syncAllowed(now));
    assert.equal(g.record(0.01, 16384, now), false);
    now += 1;
  }
  assert.equal(g.record(8, 16384, now), false, 'one pause is not a cold disk');
  assert.equal(g.record(0.01, 16384, now), false);
  assert.equal(g.record(8, 16384, now), false, 'nor is another one later');
  assert.ok(g.syncAllowed(now));
});

test('two slow reads in a row send reads to the thread pool for backoffMs, then one is tried again', () => {
  const g = new ReadGovernor(5, 1000, 100_000);
  assert.equal(g.record(12, 16384, 100), false);
  assert.equal(g.record(12, 16384, 112), true);
  assert.ok(!g.syncAllowed(113));
  assert.ok(!g.syncAllowed(1111));
  assert.ok(g.syncAllowed(1112));
  // still cold: it takes two slow reads again to go back
  assert.equal(g.record(12, 16384, 1124), false);
  assert.equal(g.record(12, 16384, 1136), true);
  assert.ok(!g.syncAllowed(1137));
});

test('large reads get time for their bytes: 1 MiB in 12 ms is a copy, not a seek', () => {
  const g = new ReadGovernor(5, 1000, 100_000);
  // 5 ms + 1 MiB at 100 MB/s = 15.5 ms
  assert.equal(g.record(12, 1 << 20, 0), false);
  assert.equal(g.record(12, 1 << 20, 12), false);
  assert.ok(g.syncAllowed(13));
  assert.equal(g.record(20, 1 << 20, 33), false);
  assert.equal(g.record(20, 1 << 20, 53), true);
});
