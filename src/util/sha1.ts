import { createHash } from 'node:crypto';

export function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}
