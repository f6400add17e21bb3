import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerBook, addressKey, banKey } from '../../../src/torrent/peer-book.js';

const A = { host: '10.0.0.1', port: 6881 };
const B = { host: '10.0.0.2', port: 6881 };

test('adds each address once and rejects bad ones', () => {
  const book = new PeerBook();
  assert.ok(book.add(A, 'tracker'));
  assert.ok(!book.add(A, 'tracker'));
  assert.ok(!book.add({ host: '10.0.0.3', port: 0 }, 'tracker'));
  assert.ok(!book.add({ host: '10.0.0.3', port: 70000 }, 'tracker'));
  assert.equal(book.size, 1);
  assert.equal(addressKey({ host: '::1', port: 1 }), '[::1]:1');
});

test('caps the number of known addresses, but always keeps manual peers', () => {
  const book = new PeerBook({ maxKnown: 2 });
  book.add(A, 'tracker');
  book.add(B, 'tracker');
  assert.ok(!book.add({ host: '10.0.0.3', port: 1 }, 'tracker'));
  assert.ok(book.add({ host: '10.0.0.4', port: 1 }, 'manual'));
  assert.equal(book.size, 3);
});

test('dials each address once at a time and backs off exponentially after failures', () => {
  const book = new PeerBook({ backoffBaseMs: 1000, maxFailures: 3 });
  book.add(A, 'tracker');
  assert.deepEqual(book.takeDialable(0, 5), [A]);
  assert.deepEqual(book.takeDialable(0, 5), [], 'already connecting');
  book.failed(A, 0);
  assert.deepEqual(book.takeDialable(999, 5), []);
  assert.deepEqual(book.takeDialable(1000, 5), [A]);
  book.failed(A, 1000);
  assert.deepEqual(book.takeDialable(2999, 5), []);
  assert.equal(book.dialableCount(3000), 1);
  assert.deepEqual(book.takeDialable(3000, 5), [A]);
  book.failed(A, 3000);
  assert.equal(book.size, 0, 'dropped after maxFailures');
});

test('manual peers are never dropped for failing', () => {
  const book = new PeerBook({ backoffBaseMs: 10, maxFailures: 2 });
  book.add(A, 'manual');
  for (let i = 0; i < 10; i++) {
    book.takeDialable(1e9, 1);
    book.failed(A, i);
  }
  assert.equal(book.size, 1);
});

test('strikes ban an IP, which is then never added or dialled', () => {
  const book = new PeerBook({ banStrikes: 2 });
  book.add(A, 'tracker');
  book.add({ host: A.host, port: 7000 }, 'tracker');
  assert.equal(book.strike(A), false);
  assert.equal(book.strike(A), true);
  assert.ok(book.isBanned({ host: A.host, port: 1 }));
  assert.equal(book.size, 0);
  assert.ok(!book.add(A, 'manual'));
});

test('on loopback a ban is by IP and port, so other local peers are unaffected', () => {
  const book = new PeerBook({ banStrikes: 1 });
  const bad = { host: '127.0.0.1', port: 5000 };
  const good = { host: '127.0.0.1', port: 5001 };
  book.add(good, 'manual');
  book.strike(bad);
  assert.ok(book.isBanned(bad));
  assert.ok(!book.isBanned(good));
  assert.equal(banKey(bad), '127.0.0.1:5000');
  assert.deepEqual(book.takeDialable(0, 5), [good]);
});
