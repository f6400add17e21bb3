declare module 'bencode' {
  interface Bencode {
    encode(data: unknown): Uint8Array;
    decode(data: Uint8Array, start?: number, end?: number, encoding?: string): unknown;
    byteLength(data: unknown): number;
    encodingLength(data: unknown): number;
  }
  const bencode: Bencode;
  export default bencode;
}
