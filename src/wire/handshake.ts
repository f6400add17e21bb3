import { WireError } from '../util/errors.js';

/**
 * The BEP 3 handshake: `<19>"BitTorrent protocol"<8 reserved><20 info hash><20 peer id>`.
 * The reserved bytes advertise extensions: BEP 10 (extension protocol), BEP 6 (fast
 * extension) and BEP 5 (DHT).
 */
export const PROTOCOL = 'BitTorrent protocol';
export const HANDSHAKE_LENGTH = 68;
const PSTR = Buffer.from(PROTOCOL, 'latin1');

export interface Handshake {
  /** 8 bytes. */
  reserved: Buffer;
  /** 20 bytes. */
  infoHash: Buffer;
  /** 20 bytes. */
  peerId: Buffer;
}

export interface ReservedFlags {
  extensionProtocol?: boolean;
  fast?: boolean;
  dht?: boolean;
}

export function encodeHandshake(h: { infoHash: Buffer; peerId: Buffer; reserved?: Buffer }): Buffer {
  const reserved = h.reserved ?? Buffer.alloc(8);
  checkSize(reserved, 8, 'reserved bytes');
  checkSize(h.infoHash, 20, 'info hash');
  checkSize(h.peerId, 20, 'peer id');
  const buf = Buffer.allocUnsafe(HANDSHAKE_LENGTH);
  buf[0] = PSTR.length;
  PSTR.copy(buf, 1);
  reserved.copy(buf, 20);
  h.infoHash.copy(buf, 28);
  h.peerId.copy(buf, 48);
  return buf;
}

/**
 * Parse the first 68 bytes of `buf` (more may follow: the caller keeps the rest). The
 * fields are copies, so they outlive the chunk they came in.
 */
export function parseHandshake(buf: Buffer): Handshake {
  if (buf.length < HANDSHAKE_LENGTH) {
    throw new WireError('BAD_HANDSHAKE', `handshake of ${buf.length} bytes, expected ${HANDSHAKE_LENGTH}`);
  }
  checkProtocolPrefix(buf, HANDSHAKE_LENGTH);
  return {
    reserved: Buffer.from(buf.subarray(20, 28)),
    infoHash: Buffer.from(buf.subarray(28, 48)),
    peerId: Buffer.from(buf.subarray(48, 68)),
  };
}

/**
 * Checks the first `n` bytes of a handshake (n up to 20), so a peer that speaks something
 * else (an HTTP request, an encrypted MSE handshake) is refused after its first byte.
 */
export function checkProtocolPrefix(buf: Buffer, n: number): void {
  const head = buf.subarray(0, Math.min(n, 20));
  if (isProtocolPrefix(head)) return;
  if (head[0] !== PSTR.length) {
    throw new WireError('BAD_HANDSHAKE', `handshake starts with ${head[0]}, expected 19 (not a BitTorrent peer, or encrypted)`);
  }
  throw new WireError('BAD_HANDSHAKE', `handshake protocol is not "${PROTOCOL}"`);
}

/** Whether the bytes so far (up to 20) are the start of a plain handshake's protocol header. */
export function isProtocolPrefix(buf: Buffer): boolean {
  const upto = Math.min(buf.length, 20);
  if (upto > 0 && buf[0] !== PSTR.length) return false;
  for (let i = 1; i < upto; i++) if (buf[i] !== PSTR[i - 1]) return false;
  return true;
}

/**
 * Collects a remote handshake from a byte stream cut anywhere. Refuses a wrong protocol
 * string at its first wrong byte (WireError), so a peer speaking something else is turned
 * away at once.
 */
export class HandshakeReader {
  private readonly buf = Buffer.alloc(HANDSHAKE_LENGTH);
  private filled = 0;

  /** The handshake and the bytes after it in `chunk`, or null while incomplete. */
  feed(chunk: Buffer): { handshake: Handshake; rest: Buffer } | null {
    const n = Math.min(HANDSHAKE_LENGTH - this.filled, chunk.length);
    chunk.copy(this.buf, this.filled, 0, n);
    this.filled += n;
    checkProtocolPrefix(this.buf, this.filled);
    if (this.filled < HANDSHAKE_LENGTH) return null;
    return { handshake: parseHandshake(this.buf), rest: chunk.subarray(n) };
  }
}

export function makeReserved(flags: ReservedFlags): Buffer {
  const r = Buffer.alloc(8);
  if (flags.extensionProtocol) r[5]! |= 0x10;
  if (flags.fast) r[7]! |= 0x04;
  if (flags.dht) r[7]! |= 0x01;
  return r;
}

export function supportsExtensionProtocol(reserved: Buffer): boolean {
  return (reserved[5]! & 0x10) !== 0;
}

export function supportsFastExtension(reserved: Buffer): boolean {
  return (reserved[7]! & 0x04) !== 0;
}

export function supportsDht(reserved: Buffer): boolean {
  return (reserved[7]! & 0x01) !== 0;
}

export function reservedFlags(reserved: Buffer): Required<ReservedFlags> {
  return {
    extensionProtocol: supportsExtensionProtocol(reserved),
    fast: supportsFastExtension(reserved),
    dht: supportsDht(reserved),
  };
}

function checkSize(b: Buffer, n: number, what: string): void {
  if (!Buffer.isBuffer(b) || b.length !== n) {
    throw new WireError('BAD_FIELD', `${what} must be ${n} bytes`);
  }
}
