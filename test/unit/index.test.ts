import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as swarm from '../../src/index.js';

test('the library API exports the engine, the parsers and the tracker', () => {
  for (const name of ['Session', 'Torrent', 'parseTorrent', 'createTorrent', 'parseMagnet', 'startTracker', 'Announcer', 'decode', 'encode']) {
    assert.equal(typeof (swarm as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(swarm.makePeerId().length, 20);
  assert.match(swarm.makePeerId().subarray(0, 8).toString('latin1'), /^-SW\d{4}-$/);
});
