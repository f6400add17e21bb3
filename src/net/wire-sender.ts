import type { Socket } from 'node:net';
import type { Obfuscation } from './obfuscation.js';
import { SlabSegments } from './send-slabs.js';
import { encodePieceHeader, PIECE_HEADER_LENGTH, writePieceHeader } from '../wire/messages.js';

/** Reads a block straight into an outgoing buffer, when it can without waiting. */
export interface BlockSource {
  /** Fills into[at, at+length) with bytes [begin, begin+length) of piece `index`: false when it cannot now. */
  readBlock(index: number, begin: number, length: number, into: Buffer, at: number): boolean;
}

/**
 * The sending half of a PeerWire: every byte it puts on the socket, in the order asked,
 * ciphered once MSE says so, and counted. Each write answers whether the queue is still
 * under the high-water mark (false: wait for the socket's 'drain').
 */
export class WireSender {
  /** Every byte written (handshake and framing included), and the block bytes of pieces. */
  bytesSent = 0;
  payloadSent = 0;
  /** Message Stream Encryption, when the wire has it: once it ciphers, so does every write. */
  layer: Obfuscation | undefined;
  /** Piece messages assembled in shared slabs, not yet written (see pieceFrom). */
  private readonly segments: SlabSegments;
  private corks = 0;

  constructor(
    private readonly socket: Socket,
    /** At least the socket's own mark, so a false is always followed by 'drain'. */
    private readonly highWater: number,
  ) {
    this.segments = new SlabSegments((bytes, done) => socket.write(bytes, done));
  }

  /** Bytes queued to send, not yet taken by the kernel (in the socket, or in slabs until uncork). */
  get writableLength(): number {
    return this.socket.writableLength + this.segments.pending;
  }

  /** An encoded message: ciphered (a copy) when MSE ciphers. */
  write(buf: Buffer): boolean {
    const encrypt = this.layer?.encrypt;
    return this.writeRaw(encrypt ? encrypt.applyCopy(buf) : buf);
  }

  /** Bytes as they go on the wire (the MSE handshake's own, or already ciphered). */
  writeRaw(buf: Buffer): boolean {
    this.bytesSent += buf.length;
    this.segments.flush();
    this.socket.write(buf);
    return this.belowMark();
  }

  /** A piece message as header + block, the block not copied: see PeerWire.sendPiece. */
  piece(index: number, begin: number, block: Buffer, written?: () => void): boolean {
    this.segments.flush();
    const header = encodePieceHeader(index, begin, block.length);
    const socket = this.socket;
    const encrypt = this.layer?.encrypt;
    if (encrypt) {
      // the block belongs to the piece cache: cipher a copy
      socket.write(encrypt.applyCopy(header, block), written);
    } else {
      socket.cork();
      socket.write(header);
      socket.write(block, written);
      socket.uncork();
    }
    this.count(block.length);
    return this.belowMark();
  }

  /** A piece message read by `source` into a slab: see PeerWire.sendPieceFrom. */
  pieceFrom(index: number, begin: number, length: number, source: BlockSource): boolean | undefined {
    const n = PIECE_HEADER_LENGTH + length;
    const slab = this.segments.reserve(n);
    if (!slab) return undefined;
    const at = slab.used;
    if (!source.readBlock(index, begin, length, slab.buf, at + PIECE_HEADER_LENGTH)) return undefined;
    writePieceHeader(slab.buf, at, index, begin, length);
    this.layer?.encrypt?.apply(slab.buf.subarray(at, at + n));
    this.segments.commit(slab, n);
    if (this.corks === 0) this.segments.flush();
    this.count(length);
    // counts bytes still in the open segment: a false here means the flush will take the
    // socket over its own mark too, so 'drain' follows
    return this.belowMark();
  }

  /** Counted: as many uncorks as corks. Blocks sent in between leave as one chunk. */
  cork(): void {
    this.corks++;
    this.socket.cork();
  }

  uncork(): void {
    if (this.corks > 0 && --this.corks === 0) this.segments.flush();
    this.socket.uncork();
  }

  /** The wire is closed: what is still in slabs never goes out. */
  drop(): void {
    this.segments.drop();
  }

  private count(blockBytes: number): void {
    this.bytesSent += PIECE_HEADER_LENGTH + blockBytes;
    this.payloadSent += blockBytes;
  }

  private belowMark(): boolean {
    return this.writableLength < this.highWater;
  }
}
