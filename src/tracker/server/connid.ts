import { createHmac, randomBytes } from 'node:crypto';
import { ipToBytes } from '../protocol/ip.js';

/**
 * BEP 15 connection ids without per-connection state: the id is an HMAC of the client's
 * address and a time bucket under a secret made at start-up. Only someone who receives
 * packets at that address learns the id, so a spoofed source cannot announce, and an id
 * stays valid for the current and the previous bucket (one to two minutes by default).
 */
export class ConnectionIds {
  private readonly secret: Buffer;
  private readonly msg = Buffer.alloc(8 + 16 + 2);
  /**
   * Ids already verified, so a busy client costs one HMAC per minute, not one per packet.
   * Only an id that passed the check gets in (a spoofed source cannot add entries), each
   * entry remembers when its id expires, and the whole map is bounded.
   */
  private readonly verified = new Map<string, { id: Buffer; lastBucket: number }>();

  constructor(
    private readonly bucketMs = 60_000,
    secret: Buffer = randomBytes(32),
    private readonly maxCached = 65_536,
  ) {
    this.secret = Buffer.from(secret);
  }

  /** Entries in the cache of verified ids. */
  get cached(): number {
    return this.verified.size;
  }

  issue(host: string, port: number, now: number): Buffer {
    return this.mac(Math.floor(now / this.bucketMs), host, port);
  }

  check(id: Buffer, host: string, port: number, now: number): boolean {
    if (id.length !== 8) return false;
    const bucket = Math.floor(now / this.bucketMs);
    const key = `${host}|${port}`;
    const hit = this.verified.get(key);
    if (hit !== undefined && hit.lastBucket >= bucket && same8(hit.id, id)) return true;
    let issued: number;
    if (this.mac(bucket, host, port).equals(id)) issued = bucket;
    else if (this.mac(bucket - 1, host, port).equals(id)) issued = bucket - 1;
    else return false;
    if (this.verified.size >= this.maxCached) this.verified.clear();
    this.verified.set(key, { id: Buffer.from(id), lastBucket: issued + 1 });
    return true;
  }

  private mac(bucket: number, host: string, port: number): Buffer {
    const m = this.msg;
    m.fill(0);
    m.writeUIntBE(Math.max(0, bucket), 2, 6);
    const ip = ipToBytes(host);
    if (ip) {
      m[0] = ip.length; // so 1.2.3.4 and 102:304:: never share an id
      ip.copy(m, 8);
    }
    m.writeUInt16BE(port, 24);
    return createHmac('sha256', this.secret).update(m).digest().subarray(0, 8);
  }
}

function same8(a: Buffer, b: Buffer): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}
