import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { KEY_BYTES, makeDhKeys, modPow, req1Hash, sharedSecret, streamCiphers, torrentMarker } from '../../../src/wire/mse-crypto.js';
import { MseInitiator, MseResponder, type MseMethods, type MseResult, type MseStep } from '../../../src/wire/mse-handshake.js';
import { Rc4 } from '../../../src/wire/rc4.js';

test('RC4 matches the published test vectors', () => {
  const cases: [string, string, string][] = [
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ];
  for (const [key, plain, cipher] of cases) {
    assert.equal(new Rc4(Buffer.from(key)).applyCopy(Buffer.from(plain)).toString('hex'), cipher);
    // the stream goes on across calls: two halves give the same bytes as one whole
    const rc4 = new Rc4(Buffer.from(key));
    const p = Buffer.from(plain);
    const out = Buffer.concat([rc4.applyCopy(p.subarray(0, 3)), rc4.applyCopy(p.subarray(3))]);
    assert.equal(out.toString('hex'), cipher);
  }
});

test('modPow agrees with small numbers worked out by hand', () => {
  assert.equal(modPow(2n, 10n, 1000n), 24n);
  assert.equal(modPow(3n, 0n, 7n), 1n);
  assert.equal(modPow(5n, 117n, 19n), 1n); // 5 has order 9 mod 19 and 117 = 9 * 13
});

test('Diffie-Hellman: both sides reach the same 96-byte secret; a degenerate key is refused', () => {
  const a = makeDhKeys();
  const b = makeDhKeys();
  assert.equal(a.publicKey.length, KEY_BYTES);
  const s1 = sharedSecret(a, b.publicKey)!;
  const s2 = sharedSecret(b, a.publicKey)!;
  assert.equal(s1.length, KEY_BYTES);
  assert.ok(s1.equals(s2));
  assert.equal(sharedSecret(a, Buffer.alloc(KEY_BYTES)), undefined);
  assert.equal(sharedSecret(a, Buffer.concat([Buffer.alloc(KEY_BYTES - 1), Buffer.from([1])])), undefined);
  assert.equal(sharedSecret(a, Buffer.alloc(KEY_BYTES, 0xff)), undefined);
});

/** Runs both machines against each other, cutting every transmission into `cut`-byte pieces. */
function converse(provide: MseMethods, allow: MseMethods, cut: number, infoHashes: Buffer[], wanted: Buffer) {
  const ia = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), randomBytes(48)]);
  const a = new MseInitiator({ infoHash: wanted, provide, initialPayload: ia });
  const b = new MseResponder({ infoHashes: () => infoHashes, allow });
  let toB = a.start();
  let toA = Buffer.alloc(0);
  let doneA: MseResult | undefined;
  let doneB: MseResult | undefined;
  const deliver = (bytes: Buffer, m: { feed(c: Buffer): MseStep }) => {
    const out: Buffer[] = [];
    let done: MseResult | undefined;
    for (let i = 0; i < bytes.length; i += cut) {
      const step = m.feed(bytes.subarray(i, i + cut));
      if (step.send) out.push(step.send);
      if (step.done) {
        done = step.done;
        // the rest of this delivery belongs to the stream after the handshake
        done.rest = Buffer.concat([done.rest, bytes.subarray(i + cut)]);
        break;
      }
    }
    return { out: Buffer.concat(out), done };
  };
  for (let round = 0; round < 5 && !(doneA && doneB); round++) {
    if (!doneB && toB.length) {
      const r = deliver(toB, b);
      toA = Buffer.concat([toA, r.out]);
      doneB = r.done;
      toB = Buffer.alloc(0);
    }
    if (!doneA && toA.length) {
      const r = deliver(toA, a);
      toB = Buffer.concat([toB, r.out]);
      doneA = r.done;
      toA = Buffer.alloc(0);
    }
  }
  return { ia, doneA, doneB };
}

for (const cut of [1, 7, 100000]) {
  test(`initiator and responder agree, delivered ${cut === 100000 ? 'whole' : `in ${cut}-byte pieces`}`, () => {
    const ih = randomBytes(20);
    const other = randomBytes(20);
    const both = { plaintext: true, rc4: true };
    // both offered: the responder picks plaintext, and the initial payload arrives intact
    const plain = converse(both, both, cut, [other, ih], ih);
    assert.equal(plain.doneA?.method, 'plaintext');
    assert.equal(plain.doneB?.method, 'plaintext');
    assert.ok(plain.doneB!.infoHash.equals(ih));
    assert.ok(plain.doneB!.rest.equals(plain.ia));
    assert.equal(plain.doneA!.encrypt, undefined);

    // only RC4 offered: the streams after the handshake line up
    const rc4 = converse({ plaintext: false, rc4: true }, both, cut, [ih], ih);
    assert.equal(rc4.doneA?.method, 'rc4');
    assert.equal(rc4.doneB?.method, 'rc4');
    assert.ok(rc4.doneB!.rest.equals(rc4.ia));
    const msg = randomBytes(1000);
    const wire = rc4.doneA!.encrypt!.applyCopy(msg);
    assert.ok(!wire.equals(msg));
    assert.ok(rc4.doneB!.decrypt!.applyCopy(wire).equals(msg));
    assert.ok(rc4.doneA!.decrypt!.applyCopy(rc4.doneB!.encrypt!.applyCopy(msg)).equals(msg));
  });
}

test('the responder refuses an unknown torrent, no method in common, and a public key out of range', () => {
  const both = { plaintext: true, rc4: true };
  assert.throws(() => converse(both, both, 50, [randomBytes(20)], randomBytes(20)), /torrent we do not serve/);
  const ih = randomBytes(20);
  assert.throws(() => converse({ plaintext: true, rc4: false }, { plaintext: false, rc4: true }, 50, [ih], ih), /no method in common/);
  const b = new MseResponder({ infoHashes: () => [ih], allow: both });
  assert.throws(() => b.feed(Buffer.alloc(KEY_BYTES)), /public key is out of range/);
});

test('the responder gives up when req1 is not within 532 bytes of Ya; garbage never grows its buffer past that', () => {
  const b = new MseResponder({ infoHashes: () => [randomBytes(20)], allow: { plaintext: true, rc4: true } });
  const ya = makeDhKeys().publicKey;
  const first = b.feed(ya);
  assert.ok(first.send && first.send.length >= KEY_BYTES && first.send.length <= KEY_BYTES + 512);
  assert.equal(b.feed(randomBytes(531)).done, undefined);
  assert.throws(() => b.feed(randomBytes(1)), /no req1 marker/);
  // one big chunk with the marker too far in also fails
  const keys = makeDhKeys();
  const c = new MseResponder({ infoHashes: () => [randomBytes(20)], allow: { plaintext: true, rc4: true } });
  const yb = c.feed(keys.publicKey).send!.subarray(0, KEY_BYTES);
  const s = sharedSecret(keys, yb)!;
  assert.throws(() => c.feed(Buffer.concat([randomBytes(600), req1Hash(s)])), /no req1 marker/);
});

test('the responder checks the verification constant and the length of PadC', () => {
  const ih = randomBytes(20);
  const start = () => {
    const keys = makeDhKeys();
    const b = new MseResponder({ infoHashes: () => [ih], allow: { plaintext: true, rc4: true } });
    const s = sharedSecret(keys, b.feed(keys.publicKey).send!.subarray(0, KEY_BYTES))!;
    return { b, s, enc: streamCiphers(s, ih, true).encrypt };
  };
  const x = start();
  const badVc = Buffer.alloc(14);
  badVc[3] = 1;
  assert.throws(() => x.b.feed(Buffer.concat([req1Hash(x.s), torrentMarker(x.s, ih), x.enc.applyCopy(badVc)])), /verification constant/);
  const y = start();
  const bigPad = Buffer.alloc(14);
  bigPad.writeUInt32BE(1, 8);
  bigPad.writeUInt16BE(513, 12);
  assert.throws(() => y.b.feed(Buffer.concat([req1Hash(y.s), torrentMarker(y.s, ih), y.enc.applyCopy(bigPad)])), /PadC of 513 bytes/);
});

test('the initiator refuses a method it did not offer and gives up without a VC', () => {
  const ih = randomBytes(20);
  const keys = makeDhKeys();
  // a responder that picks RC4 though only plaintext was offered
  const a2 = new MseInitiator({ infoHash: ih, provide: { plaintext: true, rc4: false }, initialPayload: Buffer.alloc(0) });
  const ya = a2.start().subarray(0, KEY_BYTES);
  assert.ok(a2.feed(keys.publicKey).send!.length > 40);
  const s = sharedSecret(keys, ya)!;
  const reply = Buffer.alloc(14);
  reply.writeUInt32BE(2, 8);
  assert.throws(() => a2.feed(streamCiphers(s, ih, false).encrypt.applyCopy(reply)), /chose method 2/);

  const a3 = new MseInitiator({ infoHash: ih, provide: { plaintext: true, rc4: true }, initialPayload: Buffer.alloc(0) });
  a3.start();
  a3.feed(makeDhKeys().publicKey);
  assert.throws(() => a3.feed(randomBytes(520)), /no verification constant/);
});

test('keys follow the spec: keyA = SHA1("keyA", S, SKEY), 1024 bytes discarded', () => {
  const s = randomBytes(KEY_BYTES);
  const ih = randomBytes(20);
  const ours = streamCiphers(s, ih, true).encrypt.applyCopy(Buffer.alloc(16));
  const byHand = new Rc4(createHash('sha1').update('keyA').update(s).update(ih).digest()).applyCopy(Buffer.alloc(1024 + 16)).subarray(1024);
  assert.ok(ours.equals(byHand));
});
