import fc from 'fast-check';
import type { Message } from '../../../src/wire/messages.js';
import { isKnownId } from '../../../src/wire/messages.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Any message the codec can encode, with small payloads. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom<Message>(
    { type: 'keep-alive' },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have-all' },
    { type: 'have-none' },
  ),
  fc.record({ type: fc.constantFrom('have' as const, 'suggest' as const, 'allowed-fast' as const), index: u32 }),
  fc.record({
    type: fc.constantFrom('request' as const, 'cancel' as const, 'reject-request' as const),
    index: u32,
    begin: u32,
    length: u32,
  }),
  fc.record({ type: fc.constant('bitfield' as const), bits: bytes(40) }),
  fc.record({ type: fc.constant('piece' as const), index: u32, begin: u32, block: bytes(300) }),
  fc.record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.integer({ min: 0, max: 255 }), payload: bytes(60) }),
  fc.record({
    type: fc.constant('unknown' as const),
    id: fc.integer({ min: 0, max: 255 }).filter((id) => !isKnownId(id)),
    payload: bytes(30),
  }),
).map((m) => ({ ...m }) as Message); // fc.record makes null-prototype objects; the decoder does not

/** Cuts `buf` at the given positions (taken modulo its length + 1). */
export function cut(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}
