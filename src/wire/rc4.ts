/**
 * RC4, which Message Stream Encryption is defined with. Node's OpenSSL 3 no longer offers
 * it (it sits in the legacy provider), so it lives here: it is a few lines, and what MSE
 * needs of it is obfuscation, not secrecy.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    for (let k = 0, j = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.length]!) & 0xff;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
  }

  /** XORs the next bytes of the key stream into `buf`, in place; returns `buf`. */
  apply<T extends Uint8Array>(buf: T): T {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < buf.length; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      buf[k] = buf[k]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return buf;
  }

  /** A ciphered copy of the bytes, which stay as they were. */
  applyCopy(...parts: Uint8Array[]): Buffer {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return this.apply(out);
  }

  /** Throws away the next `n` bytes of the key stream. */
  skip(n: number): void {
    this.apply(new Uint8Array(n));
  }
}
