import { WireError } from '../util/errors.js';
import { isProtocolPrefix } from '../wire/handshake.js';
import { MseInitiator, MseResponder, type CryptoMethod, type MseMethods } from '../wire/mse-handshake.js';
import type { Rc4 } from '../wire/rc4.js';

/** How a PeerWire may use Message Stream Encryption (see mse-handshake.ts). */
export interface ObfuscationOptions {
  /** The methods we accept (incoming) or offer (outgoing) once the keys are exchanged. */
  methods: MseMethods;
  /**
   * Incoming: the torrents an encrypted handshake may name. Given, an incoming connection
   * whose first bytes are not a plain handshake is taken for MSE instead of refused.
   */
  infoHashes?: () => Iterable<Buffer>;
  /** Outgoing: open with the MSE handshake instead of the plain one. */
  initiate?: boolean;
  /** Incoming: refuse a plain handshake (the peer must use MSE). */
  required?: boolean;
}

/** The 20 bytes every plain handshake starts with: fewer leave the choice open. */
const HEADER_BYTES = 20;

/**
 * The layer under a PeerWire's BitTorrent handshake: decides whether an incoming peer speaks
 * plain or MSE, runs the MSE handshake, then holds the RC4 streams if that was chosen.
 */
export class Obfuscation {
  /** 'none' until (and unless) an MSE handshake completes. */
  method: CryptoMethod | 'none' = 'none';
  /** The torrent the MSE handshake named: the BitTorrent handshake must name the same. */
  infoHash: Buffer | undefined;
  encrypt: Rc4 | undefined;
  decrypt: Rc4 | undefined;
  private machine: MseInitiator | MseResponder | undefined;
  /** Incoming, before the choice: the first bytes, copied. */
  private sniffed: Buffer | undefined;

  private constructor(private readonly opts: ObfuscationOptions) {}

  /** For an incoming connection; undefined when MSE is not accepted. */
  static incoming(opts: ObfuscationOptions | undefined): Obfuscation | undefined {
    if (!opts?.infoHashes || (!opts.methods.plaintext && !opts.methods.rc4)) return undefined;
    const o = new Obfuscation(opts);
    o.sniffed = Buffer.alloc(0);
    return o;
  }

  /** For an outgoing connection that opens with MSE: also returns the first bytes to send. */
  static outgoing(opts: ObfuscationOptions, infoHash: Buffer, handshake: Buffer): { layer: Obfuscation; opening: Buffer } {
    const o = new Obfuscation(opts);
    const machine = new MseInitiator({ infoHash, provide: opts.methods, initialPayload: handshake });
    o.machine = machine;
    return { layer: o, opening: machine.start() };
  }

  /** Whether the layer still has handshake bytes to read (plain bytes then go through unwrap()). */
  get handshaking(): boolean {
    return this.sniffed !== undefined || this.machine !== undefined;
  }

  /**
   * Bytes from the socket while handshaking. `data`: what the BitTorrent handshake reader
   * gets next (null: nothing yet); `send`: bytes for the socket as they are. Throws
   * WireError on a failed MSE handshake.
   */
  unwrap(chunk: Buffer): { data: Buffer | null; send: Buffer | undefined } {
    if (this.sniffed !== undefined) {
      const sniffed = Buffer.concat([this.sniffed, chunk]);
      if (isProtocolPrefix(sniffed)) {
        if (sniffed.length < HEADER_BYTES) {
          this.sniffed = sniffed;
          return { data: null, send: undefined };
        }
        this.sniffed = undefined;
        if (this.opts.required) throw new WireError('ENCRYPTION_REQUIRED', 'a plain handshake, and we require encryption');
        return { data: sniffed, send: undefined };
      }
      this.sniffed = undefined;
      this.machine = new MseResponder({ infoHashes: this.opts.infoHashes!, allow: this.opts.methods });
      chunk = sniffed;
    }
    const { send, done } = this.machine!.feed(chunk);
    if (!done) return { data: null, send };
    this.machine = undefined;
    this.method = done.method;
    this.infoHash = done.infoHash;
    this.encrypt = done.encrypt;
    this.decrypt = done.decrypt;
    return { data: done.rest, send };
  }
}
