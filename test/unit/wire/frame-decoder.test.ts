import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder } from '../../../src/wire/frame-decoder.js';
import { DEFAULT_MAX_FRAME, encodeMessage, type Message } from '../../../src/wire/messages.js';
import { WireError } from '../../../src/util/errors.js';
import { cut, messageArb } from './arbitraries.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isWire = (code: string) => (e: unknown) => e instanceof WireError && e.code === code;

function pushAll(dec: FrameDecoder, chunks: Buffer[]): Message[] {
  return chunks.flatMap((c) => dec.push(c));
}

/** Counts Buffer.allocUnsafe / Buffer.alloc calls of at least `min` bytes while fn runs. */
function countAllocs(min: number, fn: () => void): number {
  const { allocUnsafe, alloc } = Buffer;
  let n = 0;
  Buffer.allocUnsafe = ((size: number) => {
    if (size >= min) n++;
    return allocUnsafe(size);
  }) as typeof Buffer.allocUnsafe;
  Buffer.alloc = ((size: number, ...rest: unknown[]) => {
    if (size >= min) n++;
    return (alloc as (...a: unknown[]) => Buffer)(size, ...rest);
  }) as typeof Buffer.alloc;
  try {
    fn();
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
    Buffer.alloc = alloc;
  }
  return n;
}

test('property: the same messages however the stream is cut', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (msgs, at) => {
      const stream = Buffer.concat(msgs.map(encodeMessage));
      assert.deepEqual(pushAll(new FrameDecoder(), cut(stream, at)), msgs);
    }),
    { numRuns: 1000 },
  );
});

test('property: one byte at a time gives the same messages, through feed() too', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 10 }), (msgs) => {
      const stream = Buffer.concat(msgs.map(encodeMessage));
      const dec = new FrameDecoder();
      const got: Message[] = [];
      for (let i = 0; i < stream.length; i++) dec.feed(stream.subarray(i, i + 1), (m) => got.push(m));
      assert.deepEqual(got, msgs);
      assert.equal(dec.buffered, 0);
    }),
    { numRuns: 300 },
  );
});

test('a piece inside one chunk is a view of that chunk; a split one is copied once', () => {
  const block = Buffer.alloc(16384, 7);
  const frame = encodeMessage({ type: 'piece', index: 3, begin: 16384, block });
  const chunk = Buffer.concat([encodeMessage({ type: 'unchoke' }), frame]);
  const [, piece] = new FrameDecoder().push(chunk);
  assert.ok(piece?.type === 'piece');
  assert.equal(piece.block.buffer, chunk.buffer);
  assert.equal(piece.block.byteOffset, chunk.byteOffset + 5 + 13);
  assert.deepEqual(piece.block, block);

  const dec = new FrameDecoder();
  assert.deepEqual(dec.push(frame.subarray(0, 1000)), []);
  assert.equal(dec.buffered, 1000);
  const [split] = dec.push(frame.subarray(1000));
  assert.ok(split?.type === 'piece');
  assert.notEqual(split.block.buffer, frame.buffer);
  assert.deepEqual(split.block, block);
  assert.equal(dec.buffered, 0);
});

test('an oversized length prefix is refused before anything is buffered', () => {
  for (const prefix of ['ffffffff', '00100010', '7fffffff']) {
    const dec = new FrameDecoder();
    let thrown: unknown;
    const allocs = countAllocs(64, () => {
      try {
        dec.push(hex(prefix + '07'));
      } catch (err) {
        thrown = err;
      }
    });
    assert.ok(isWire('FRAME_TOO_LARGE')(thrown), String(thrown));
    assert.equal(allocs, 0);
  }
  // the limit is inclusive and applies to a prefix that arrives one byte at a time
  const max = DEFAULT_MAX_FRAME;
  const ok = new FrameDecoder();
  const header = Buffer.alloc(4);
  header.writeUInt32BE(max);
  assert.deepEqual(ok.push(Buffer.concat([header, hex('07')])), []);
  const over = new FrameDecoder();
  header.writeUInt32BE(max + 1);
  over.push(header.subarray(0, 3));
  assert.throws(() => over.push(header.subarray(3)), isWire('FRAME_TOO_LARGE'));
});

test('maxFrame is configurable', () => {
  const dec = new FrameDecoder({ maxFrame: 20 });
  assert.equal(dec.push(encodeMessage({ type: 'piece', index: 0, begin: 0, block: Buffer.alloc(11) })).length, 1);
  assert.throws(() => dec.push(encodeMessage({ type: 'piece', index: 0, begin: 0, block: Buffer.alloc(12) })), isWire('FRAME_TOO_LARGE'));
  assert.throws(() => new FrameDecoder({ maxFrame: 0 }), isWire('BAD_OPTION'));
});

test('fixed-size messages of the wrong size are refused, as soon as the id byte is in', () => {
  const bad = ['00000002 00 00', '00000004 04 000000', '00000006 04 0000000000', '0000000c 06' + '00'.repeat(11),
    '0000000e 08' + '00'.repeat(13), '00000002 09 00', '00000002 0e 00', '00000008 07 00000000000000', '00000001 14'];
  for (const frame of bad) {
    assert.throws(() => new FrameDecoder().push(hex(frame)), isWire('BAD_LENGTH'), frame);
  }
  // a `have` claiming 1 MiB is refused on its id byte, without waiting for (or allocating) the rest
  const dec = new FrameDecoder();
  let thrown: unknown;
  const allocs = countAllocs(64, () => {
    try {
      dec.push(hex('00100000 04'));
    } catch (err) {
      thrown = err;
    }
  });
  assert.ok(isWire('BAD_LENGTH')(thrown));
  assert.equal(allocs, 0);
  // ...also when the id byte comes in a later chunk than the prefix
  const later = new FrameDecoder();
  assert.deepEqual(later.push(hex('00000009')), []);
  assert.throws(() => later.push(hex('01')), isWire('BAD_LENGTH'));
});

test('unknown ids come out as `unknown` messages, keep-alives as keep-alive', () => {
  assert.deepEqual(new FrameDecoder().push(hex('00000000 00000003 ff 0102 00000001 0a')), [
    { type: 'keep-alive' },
    { type: 'unknown', id: 255, payload: hex('0102') },
    { type: 'unknown', id: 10, payload: Buffer.alloc(0) },
  ]);
});

test('after an error the decoder stays dead', () => {
  const dec = new FrameDecoder();
  assert.throws(() => dec.push(hex('ffffffff')), isWire('FRAME_TOO_LARGE'));
  assert.throws(() => dec.push(hex('00000001 01')), isWire('FRAME_TOO_LARGE'));
  // messages before the bad frame in the same chunk reach feed()'s handler
  const seen: Message[] = [];
  assert.throws(() => new FrameDecoder().feed(hex('00000001 01 00000002 01 00'), (m) => seen.push(m)), isWire('BAD_LENGTH'));
  assert.deepEqual(seen, [{ type: 'unchoke' }]);
});

test('a handler that throws kills the decoder too', () => {
  const dec = new FrameDecoder();
  const boom = new Error('handler failed');
  assert.throws(() => dec.feed(hex('00000001 01'), () => {
    throw boom;
  }), (e) => e === boom);
  assert.throws(() => dec.push(hex('00000001 01')), (e) => e === boom);
});

/** Messages with their buffers copied, as a `reuse` caller must do before its handler returns. */
function copied(m: Message): Message {
  const c = { ...m } as Record<string, unknown>;
  for (const k of ['block', 'bits', 'payload']) if (Buffer.isBuffer(c[k])) c[k] = Buffer.from(c[k] as Buffer);
  return c as unknown as Message;
}

test('property (reuse): the same messages however the stream is cut, copied while the handler runs', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (msgs, at) => {
      const stream = Buffer.concat(msgs.map(encodeMessage));
      const dec = new FrameDecoder({ reuse: true });
      const got: Message[] = [];
      for (const c of cut(stream, at)) dec.feed(c, (m) => got.push(copied(m)));
      assert.deepEqual(got, msgs);
    }),
    { numRuns: 1000 },
  );
});

test('reuse: blocks that straddle chunks share one buffer instead of a new one each', () => {
  const frames = [1, 2, 3].map((i) => encodeMessage({ type: 'piece', index: i, begin: 0, block: Buffer.alloc(16384, i) }));
  const stream = Buffer.concat(frames);
  const chunks = cut(stream, [5000, 20000, 40000]);
  const seen: Buffer[] = [];
  const plain = countAllocs(16384, () => {
    const dec = new FrameDecoder();
    for (const c of chunks) dec.feed(c, (m) => m.type === 'piece' && seen.push(m.block));
  });
  const views: Buffer[] = [];
  const reused = countAllocs(16384, () => {
    const dec = new FrameDecoder({ reuse: true });
    for (const c of chunks) dec.feed(c, (m) => {
      if (m.type !== 'piece') return;
      assert.ok(m.block.every((x) => x === m.index), `piece ${m.index} intact while the handler runs`);
      views.push(m.block);
    });
  });
  assert.equal(views.length, 3);
  assert.equal(plain, 3, 'without reuse each straddling frame gets its own buffer');
  assert.equal(reused, 0, 'with reuse none (the shared one comes from allocUnsafeSlow, once)');
  assert.equal(views[0]!.buffer, views[2]!.buffer, 'the straddling frames share memory');
});
