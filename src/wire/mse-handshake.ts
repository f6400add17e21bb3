import { randomBytes, randomInt } from 'node:crypto';
import { WireError } from '../util/errors.js';
import { findTorrent, KEY_BYTES, makeDhKeys, req1Hash, sharedSecret, streamCiphers, torrentMarker, type DhKeys } from './mse-crypto.js';
import type { Rc4 } from './rc4.js';

/**
 * The Message Stream Encryption handshake as two byte-in, bytes-out state machines (no
 * sockets here). A is the side that dialled, B the one that accepted:
 *   1 A->B  Ya, PadA
 *   2 B->A  Yb, PadB
 *   3 A->B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           RC4a(VC, crypto_provide, len(PadC), PadC, len(IA), IA)
 *   4 B->A  RC4b(VC, crypto_select, len(PadD), PadD), then the chosen stream
 *   5 A->B  the chosen stream
 * VC is 8 zero bytes; crypto bits: 1 plaintext, 2 RC4. The pads (0 to 512 bytes) hide the
 * lengths; each side finds where the other's step begins by a marker (req1, RC4b(VC)).
 */

export type CryptoMethod = 'plaintext' | 'rc4';

const PLAINTEXT = 1;
const RC4 = 2;
const MAX_PAD = 512;
const VC_BYTES = 8;

export interface MseResult {
  method: CryptoMethod;
  infoHash: Buffer;
  /** With 'rc4': every later byte goes through these (ours out, theirs in). */
  encrypt: Rc4 | undefined;
  decrypt: Rc4 | undefined;
  /** The remote's bytes that followed the handshake, deciphered (the responder gets IA first). */
  rest: Buffer;
}

export interface MseStep {
  /** Bytes to send now. */
  send?: Buffer;
  /** The handshake is over: nothing more goes through feed(). */
  done?: MseResult;
}

export interface MseMethods {
  plaintext: boolean;
  rc4: boolean;
}

type Random = (n: number) => Buffer;

function fail(why: string): never {
  throw new WireError('MSE_FAILED', `encrypted handshake failed: ${why}`);
}

function methodBits(m: MseMethods): number {
  return (m.plaintext ? PLAINTEXT : 0) | (m.rc4 ? RC4 : 0);
}

function pad(random: Random): Buffer {
  return random(randomInt(MAX_PAD + 1));
}

/** Collects bytes and hands them out in the sizes each state asks for. */
class Bytes {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  get length(): number {
    return this.buf.length;
  }

  peek(): Buffer {
    return this.buf;
  }

  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** What both sides share: bytes in, steps out, until one step says done. */
abstract class MseMachine {
  protected readonly input = new Bytes();
  private finished = false;

  feed(chunk: Buffer): MseStep {
    if (this.finished) fail('fed after the end');
    this.input.push(chunk);
    const step: MseStep = {};
    const sends: Buffer[] = [];
    while (!step.done && this.advance(sends, step));
    this.finished = step.done !== undefined;
    if (sends.length > 0) step.send = Buffer.concat(sends);
    return step;
  }

  /** Moves on by one state if the input allows: false when it must wait for more. */
  protected abstract advance(sends: Buffer[], step: MseStep): boolean;
}

/** Side B: a connection whose first bytes were not a plain BitTorrent handshake. */
export class MseResponder extends MseMachine {
  private readonly keys: DhKeys;
  private state: 'ya' | 'req1' | 'marker' | 'vc' | 'padc' | 'ia' = 'ya';
  private secret: Buffer | undefined;
  private infoHash: Buffer | undefined;
  private ciphers: { encrypt: Rc4; decrypt: Rc4 } | undefined;
  private provided = 0;
  private padLength = 0;
  private iaLength = 0;

  constructor(
    private readonly opts: { infoHashes: () => Iterable<Buffer>; allow: MseMethods },
    private readonly random: Random = randomBytes,
  ) {
    super();
    this.keys = makeDhKeys(random);
  }

  protected advance(sends: Buffer[], step: MseStep): boolean {
    const input = this.input;
    switch (this.state) {
      case 'ya': {
        if (input.length < KEY_BYTES) return false;
        this.secret = sharedSecret(this.keys, input.take(KEY_BYTES)) ?? fail('the public key is out of range');
        sends.push(this.keys.publicKey, pad(this.random));
        this.state = 'req1';
        return true;
      }
      case 'req1': {
        // PadA hides where step 3 starts: look for HASH('req1', S) in the first 512 + 20 bytes
        const want = req1Hash(this.secret!);
        const at = input.peek().indexOf(want);
        if (at < 0 || at > MAX_PAD) {
          if (at > MAX_PAD || input.length >= MAX_PAD + want.length) fail('no req1 marker within 532 bytes');
          return false;
        }
        input.take(at + want.length);
        this.state = 'marker';
        return true;
      }
      case 'marker': {
        if (input.length < 20) return false;
        this.infoHash = findTorrent(this.secret!, input.take(20), this.opts.infoHashes()) ?? fail('it names a torrent we do not serve');
        this.ciphers = streamCiphers(this.secret!, this.infoHash, false);
        this.state = 'vc';
        return true;
      }
      case 'vc': {
        if (input.length < VC_BYTES + 6) return false;
        const head = this.ciphers!.decrypt.apply(Buffer.from(input.take(VC_BYTES + 6)));
        if (!head.subarray(0, VC_BYTES).equals(Buffer.alloc(VC_BYTES))) fail('the verification constant is wrong');
        this.provided = head.readUInt32BE(VC_BYTES);
        this.padLength = head.readUInt16BE(VC_BYTES + 4);
        if (this.padLength > MAX_PAD) fail(`PadC of ${this.padLength} bytes (at most ${MAX_PAD})`);
        this.state = 'padc';
        return true;
      }
      case 'padc': {
        if (input.length < this.padLength + 2) return false;
        const tail = this.ciphers!.decrypt.apply(Buffer.from(input.take(this.padLength + 2)));
        this.iaLength = tail.readUInt16BE(this.padLength);
        this.state = 'ia';
        return true;
      }
      case 'ia': {
        if (input.length < this.iaLength) return false;
        const ia = this.ciphers!.decrypt.apply(Buffer.from(input.take(this.iaLength)));
        const allowed = this.provided & methodBits(this.opts.allow);
        if (allowed === 0) fail(`no method in common (offered ${this.provided & 3}, we allow ${methodBits(this.opts.allow)})`);
        // plaintext when both are allowed: the obfuscated handshake is what peers want
        // from MSE, and RC4 on every byte would cost more CPU than the transfer itself
        const select = allowed & PLAINTEXT ? PLAINTEXT : RC4;
        const padD = pad(this.random);
        const reply = Buffer.alloc(VC_BYTES + 6);
        reply.writeUInt32BE(select, VC_BYTES);
        reply.writeUInt16BE(padD.length, VC_BYTES + 4);
        const { encrypt, decrypt } = this.ciphers!;
        sends.push(encrypt.applyCopy(reply, padD));
        const after = Buffer.from(input.take(input.length));
        const rc4 = select === RC4;
        step.done = {
          method: rc4 ? 'rc4' : 'plaintext',
          infoHash: this.infoHash!,
          encrypt: rc4 ? encrypt : undefined,
          decrypt: rc4 ? decrypt : undefined,
          rest: Buffer.concat([ia, rc4 ? decrypt.apply(after) : after]),
        };
        return true;
      }
    }
  }
}

/** Side A: we dialled and open with the MSE handshake; `initialPayload` is our BitTorrent handshake. */
export class MseInitiator extends MseMachine {
  private readonly keys: DhKeys;
  private state: 'yb' | 'vc' | 'select' | 'padd' = 'yb';
  private ciphers: { encrypt: Rc4; decrypt: Rc4 } | undefined;
  /** RC4b(VC): the marker that starts step 4. */
  private vcMarker: Buffer | undefined;
  private selected = 0;
  private padLength = 0;

  constructor(
    private readonly opts: { infoHash: Buffer; provide: MseMethods; initialPayload: Buffer },
    private readonly random: Random = randomBytes,
  ) {
    super();
    if (methodBits(opts.provide) === 0) throw new WireError('BAD_OPTION', 'MSE needs at least one method to offer');
    this.keys = makeDhKeys(random);
  }

  /** Step 1. */
  start(): Buffer {
    return Buffer.concat([this.keys.publicKey, pad(this.random)]);
  }

  protected advance(sends: Buffer[], step: MseStep): boolean {
    const input = this.input;
    const { infoHash } = this.opts;
    switch (this.state) {
      case 'yb': {
        if (input.length < KEY_BYTES) return false;
        const secret = sharedSecret(this.keys, input.take(KEY_BYTES)) ?? fail('the public key is out of range');
        this.ciphers = streamCiphers(secret, infoHash, true);
        this.vcMarker = this.ciphers.decrypt.apply(Buffer.alloc(VC_BYTES));
        const padC = pad(this.random);
        const head = Buffer.alloc(VC_BYTES + 6);
        head.writeUInt32BE(methodBits(this.opts.provide), VC_BYTES);
        head.writeUInt16BE(padC.length, VC_BYTES + 4);
        const iaLength = Buffer.alloc(2);
        iaLength.writeUInt16BE(this.opts.initialPayload.length);
        sends.push(req1Hash(secret), torrentMarker(secret, infoHash), this.ciphers.encrypt.applyCopy(head, padC, iaLength, this.opts.initialPayload));
        this.state = 'vc';
        return true;
      }
      case 'vc': {
        const at = input.peek().indexOf(this.vcMarker!);
        if (at < 0 || at > MAX_PAD) {
          if (at > MAX_PAD || input.length >= MAX_PAD + VC_BYTES) fail('no verification constant within 520 bytes');
          return false;
        }
        input.take(at + VC_BYTES);
        this.state = 'select';
        return true;
      }
      case 'select': {
        if (input.length < 6) return false;
        const head = this.ciphers!.decrypt.apply(Buffer.from(input.take(6)));
        this.selected = head.readUInt32BE(0);
        this.padLength = head.readUInt16BE(4);
        const offered = methodBits(this.opts.provide);
        if ((this.selected !== PLAINTEXT && this.selected !== RC4) || (this.selected & offered) === 0) {
          fail(`the peer chose method ${this.selected}, which we did not offer`);
        }
        if (this.padLength > MAX_PAD) fail(`PadD of ${this.padLength} bytes (at most ${MAX_PAD})`);
        this.state = 'padd';
        return true;
      }
      case 'padd': {
        if (input.length < this.padLength) return false;
        this.ciphers!.decrypt.apply(Buffer.from(input.take(this.padLength)));
        const after = Buffer.from(input.take(input.length));
        const rc4 = this.selected === RC4;
        const { encrypt, decrypt } = this.ciphers!;
        step.done = {
          method: rc4 ? 'rc4' : 'plaintext',
          infoHash,
          encrypt: rc4 ? encrypt : undefined,
          decrypt: rc4 ? decrypt : undefined,
          rest: rc4 ? decrypt.apply(after) : after,
        };
        return true;
      }
    }
  }
}
