import { createHash, randomBytes } from 'node:crypto';
import { Rc4 } from './rc4.js';

/**
 * The arithmetic of Message Stream Encryption (the Vuze/Azureus spec that libtorrent,
 * Transmission and aria2 speak): a Diffie-Hellman exchange over one fixed 768-bit prime,
 * and keys and markers made from its shared secret S and the info hash (SKEY) by SHA-1.
 */

const PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
);
const GENERATOR = 2n;
/** Public keys and the secret go on the wire as 96 big-endian bytes. */
export const KEY_BYTES = 96;
/** The spec asks for at least 128 random bits; 160 as most clients use. */
const PRIVATE_BYTES = 20;
/** The first bytes of each RC4 stream are thrown away: they leak the most about the key. */
const RC4_DISCARD = 1024;

export interface DhKeys {
  readonly privateKey: bigint;
  /** KEY_BYTES bytes. */
  readonly publicKey: Buffer;
}

export function makeDhKeys(random: (n: number) => Buffer = randomBytes): DhKeys {
  const privateKey = toBigInt(random(PRIVATE_BYTES));
  return { privateKey, publicKey: toBytes(modPow(GENERATOR, privateKey, PRIME)) };
}

/**
 * S from our private key and the remote's public key, or undefined for a public key that
 * is no real one (0, 1 or P-1 and above would make S guessable).
 */
export function sharedSecret(keys: DhKeys, remotePublic: Buffer): Buffer | undefined {
  const y = toBigInt(remotePublic);
  if (y < 2n || y > PRIME - 2n) return undefined;
  return toBytes(modPow(y, keys.privateKey, PRIME));
}

export function sha1(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HASH('req1', S): where the initiator's step 3 starts, so the responder can find it. */
export const req1Hash = (s: Buffer): Buffer => sha1('req1', s);

/** HASH('req2', SKEY) xor HASH('req3', S): names the torrent without showing its info hash. */
export function torrentMarker(s: Buffer, infoHash: Buffer): Buffer {
  return xor20(sha1('req2', infoHash), sha1('req3', s));
}

/** The info hash a marker names, out of the ones we serve (undefined: none of them). */
export function findTorrent(s: Buffer, marker: Buffer, infoHashes: Iterable<Buffer>): Buffer | undefined {
  const req2 = xor20(marker, sha1('req3', s));
  for (const ih of infoHashes) if (sha1('req2', ih).equals(req2)) return ih;
  return undefined;
}

/** The two RC4 streams of a connection, seen from one side. */
export function streamCiphers(s: Buffer, infoHash: Buffer, initiator: boolean): { encrypt: Rc4; decrypt: Rc4 } {
  const a = new Rc4(sha1('keyA', s, infoHash));
  const b = new Rc4(sha1('keyB', s, infoHash));
  a.skip(RC4_DISCARD);
  b.skip(RC4_DISCARD);
  return initiator ? { encrypt: a, decrypt: b } : { encrypt: b, decrypt: a };
}

function xor20(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(20);
  for (let i = 0; i < 20; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function toBigInt(buf: Buffer): bigint {
  return buf.length === 0 ? 0n : BigInt(`0x${buf.toString('hex')}`);
}

function toBytes(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(KEY_BYTES * 2, '0'), 'hex');
}
