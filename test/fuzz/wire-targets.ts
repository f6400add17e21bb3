import { isDeepStrictEqual } from 'node:util';
import { isSwarmError } from '../../src/util/errors.js';
import { Bitfield } from '../../src/wire/bitfield.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../src/wire/extension.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import { checkProtocolPrefix, encodeHandshake, parseHandshake, reservedFlags } from '../../src/wire/handshake.js';
import { DEFAULT_MAX_FRAME, encodeMessage, type Message } from '../../src/wire/messages.js';
import { MseResponder, type MseResult } from '../../src/wire/mse-handshake.js';

/**
 * Fuzz targets for the wire parsers. Each runs a parser and then checks what it returned;
 * a broken invariant is a plain Error, which the fuzzer reports as a failure.
 */

interface Run {
  messages: Message[];
  error: unknown;
  buffered: number;
}

function decodeStream(chunks: Buffer[], maxFrame: number): Run {
  const dec = new FrameDecoder({ maxFrame });
  const messages: Message[] = [];
  let error: unknown = null;
  try {
    for (const c of chunks) dec.feed(c, (m) => messages.push(m));
  } catch (err) {
    error = err;
  }
  return { messages, error, buffered: error === null ? dec.buffered : -1 };
}

/**
 * A frame stream, decoded whole and cut into pieces (sizes taken from the input), must
 * give the same messages and the same error; the messages must re-encode to exactly the bytes they came from;
 * bitfields and extended handshakes among them go on to their own parsers.
 */
export function frames(input: Buffer): void {
  // mostly the default limit; sometimes a small one, so limits are hit by valid frames too
  const maxFrame = input.length % 8 === 0 ? 40 : DEFAULT_MAX_FRAME;
  const whole = decodeStream([input], maxFrame);
  const chunks: Buffer[] = [];
  for (let p = 0, i = 0; p < input.length; i++) {
    const n = (input[i % input.length]! % 23) + (i % 3 === 0 ? 0 : 1);
    chunks.push(input.subarray(p, p + n));
    p += n;
  }
  const cut = decodeStream(chunks, maxFrame);
  if (whole.error !== null && !isSwarmError(whole.error)) throw whole.error;
  if (cut.error !== null && !isSwarmError(cut.error)) throw cut.error;
  if (!isDeepStrictEqual(whole.messages, cut.messages)) throw new Error('chunking changed the messages');
  // limits are judged at the same byte whatever the cut (the prefix on its 4th byte, the
  // length against the id on the id byte), so the outcome is the same too
  const codeOf = (r: Run) => (r.error === null ? null : (r.error as { code: string }).code);
  if (codeOf(whole) !== codeOf(cut)) throw new Error(`whole stream: ${codeOf(whole)}, cut stream: ${codeOf(cut)}`);
  if (whole.buffered !== cut.buffered) throw new Error(`whole stream holds ${whole.buffered} bytes, cut stream ${cut.buffered}`);
  const reencoded = Buffer.concat(whole.messages.map(encodeMessage));
  if (!reencoded.equals(input.subarray(0, reencoded.length))) throw new Error('messages do not re-encode to their bytes');
  if (whole.error) throw whole.error;
  for (const m of whole.messages) {
    if (m.type === 'bitfield') Bitfield.fromBuffer(m.bits, m.bits.length * 8 - (input[1] ?? 0) % 8);
    if (m.type === 'extended' && m.id === 0) extendedHandshake(m.payload);
  }
}

/** The 68-byte handshake, also judged byte by byte as it would arrive. */
export function handshake(input: Buffer): void {
  let prefixError: unknown = null;
  for (let n = 1; n <= Math.min(input.length, 68) && prefixError === null; n++) {
    try {
      checkProtocolPrefix(input.subarray(0, n), n);
    } catch (err) {
      prefixError = err;
    }
  }
  let h;
  try {
    h = parseHandshake(input);
  } catch (err) {
    if (input.length >= 68 && prefixError === null) throw new Error('parseHandshake refused what the prefix check accepted');
    throw err;
  }
  if (prefixError !== null) throw new Error('parseHandshake accepted what the prefix check refused');
  reservedFlags(h.reserved);
  if (!encodeHandshake(h).equals(input.subarray(0, 68))) throw new Error('handshake does not re-encode to its bytes');
}

/** BEP 10 extended handshake: what decodes must survive a re-encode unchanged. */
export function extendedHandshake(input: Buffer): void {
  const h = decodeExtendedHandshake(input);
  const again = decodeExtendedHandshake(encodeExtendedHandshake(h));
  // v is decoded as UTF-8, so invalid sequences become U+FFFD: compare it after one trip
  if (!isDeepStrictEqual({ ...again, v: undefined }, { ...h, v: undefined })) throw new Error('extended handshake changed in a round trip');
  if (h.v !== undefined && Buffer.byteLength(h.v) > 3 * input.length) throw new Error('client name grew');
}

/** A bitfield for a piece count taken from the first two bytes. */
export function bitfield(input: Buffer): void {
  const count = input.length < 2 ? 0 : input.readUInt16BE(0);
  const bits = input.subarray(2);
  const bf = Bitfield.fromBuffer(bits, count);
  if (!bf.toBuffer().equals(bits)) throw new Error('bitfield does not round-trip');
  let n = 0;
  for (const i of bf) {
    if (!bf.has(i)) throw new Error(`iterated ${i} but has(${i}) is false`);
    n++;
  }
  if (n !== bf.count()) throw new Error('count() disagrees with the iteration');
}

/** Fixed key material, so a transcript made in the test is one the responder here can follow. */
export const MSE_FUZZ_RANDOM = (n: number): Buffer => Buffer.alloc(n, 0x5a);
export const MSE_FUZZ_HASH = Buffer.alloc(20, 0x61);

function respond(chunks: Buffer[]): { done: boolean; rest: string; error: string } {
  const r = new MseResponder({ infoHashes: () => [MSE_FUZZ_HASH], allow: { plaintext: true, rc4: true } }, MSE_FUZZ_RANDOM);
  const rest: Buffer[] = [];
  let done: MseResult | undefined;
  try {
    for (const c of chunks) {
      if (done) {
        // what the wire does after the handshake: RC4 on every later byte, if chosen
        rest.push(done.decrypt ? done.decrypt.applyCopy(c) : c);
        continue;
      }
      const step = r.feed(c);
      if (step.done) {
        done = step.done;
        rest.push(done.rest);
      }
    }
  } catch (err) {
    if (!isSwarmError(err)) throw err;
    return { done: done !== undefined, rest: '', error: err.message };
  }
  return { done: done !== undefined, rest: Buffer.concat(rest).toString('hex'), error: '' };
}

/**
 * Side A's bytes of an MSE handshake into the responder, whole and cut into pieces: the
 * same outcome either way (done with the same bytes after it, waiting, or the same error
 * of ours), and never more than the spec's bounds buffered while it waits.
 */
export function mseResponder(input: Buffer): void {
  const whole = respond([input]);
  const step = 1 + (input[0] ?? 0) % 13;
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += step) pieces.push(input.subarray(i, i + step));
  const cut = respond(pieces);
  if (!isDeepStrictEqual(whole, cut)) throw new Error(`whole and cut differ: ${JSON.stringify(whole)} vs ${JSON.stringify(cut)}`);
  // Ya, PadA + req1, marker, VC..len(PadC), PadC, len(IA), IA at most: past that it has decided
  const bound = 96 + 532 + 20 + 14 + 512 + 2 + 65535;
  if (!whole.done && whole.error === '' && input.length > bound) throw new Error(`still waiting after ${input.length} bytes`);
}
