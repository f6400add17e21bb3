import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address from its text form; undefined if not an IP literal. */
export function ipToBytes(text: string): Buffer | undefined {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  const zone = text.indexOf('%');
  const s = zone >= 0 ? text.slice(0, zone) : text;
  if (!isIPv6(s)) return undefined;
  return v6Bytes(s);
}

/**
 * Dotted-quad IPv4 to 4 bytes, or undefined. Hand-rolled because the tracker does this
 * for every packet: four decimal numbers 0-255 without leading zeros, nothing else.
 */
export function parseIPv4(s: string): Buffer | undefined {
  if (s.length < 7 || s.length > 15) return undefined;
  const out = Buffer.allocUnsafe(4);
  let part = 0;
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = n;
      n = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && n === 0) return undefined; // a leading zero
      n = n * 10 + (c - 0x30);
      if (++digits > 3 || n > 255) return undefined;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

function v6Bytes(input: string): Buffer {
  const out = Buffer.alloc(16);
  let s = input;
  // an embedded dotted quad fills the last 32 bits
  if (s.includes('.')) {
    const at = s.lastIndexOf(':');
    parseIPv4(s.slice(at + 1))?.copy(out, 12);
    s = `${s.slice(0, at + 1)}0:0`;
  }
  const parts = s.split('::');
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length > 1 && parts[1] ? parts[1].split(':') : [];
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i]!, 16);
    if (i >= 6 && input.includes('.')) continue; // already written from the dotted quad
    out.writeUInt16BE(g, i * 2);
  }
  return out;
}

/** Text form of a 4- or 16-byte address. A v4-mapped IPv6 address comes out as IPv4. */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${b.length}`);
  if (isV4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: the longest run (two or more) of zero groups becomes "::"
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * A socket's remote address as a peer address: "::ffff:1.2.3.4" (an IPv4 client on a
 * dual-stack socket) is the IPv4 peer 1.2.3.4.
 */
export function normalizeAddress(addr: string): { host: string; family: 4 | 6 } {
  if (isIPv4(addr)) return { host: addr, family: 4 };
  const lower = addr.toLowerCase();
  if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return { host: lower.slice(7), family: 4 };
  return { host: addr, family: 6 };
}
