import type { Socket } from 'node:net';

/**
 * Outgoing peer sockets read into one buffer that all of them share (net.connect's
 * `onread`) instead of a fresh 64 KiB buffer per read. A full-speed download made about
 * 16,000 of those per GiB, and collecting them was a tenth of the leecher's CPU.
 *
 * The price is a rule: a chunk handed to the sink, and every message decoded from it, is
 * valid only until the sink returns (the next read overwrites it). Everything runs on the
 * one thread, and libuv reads and calls back in one go, so one buffer serves every socket.
 */
export const SHARED_READ_BYTES = 256 * 1024;

let sharedBuffer: Buffer | undefined;
const taps = new WeakMap<Socket, ReadTap>();

export type ReadSink = (chunk: Buffer) => void;

export class ReadTap {
  private sink: ReadSink | undefined;
  /** Bytes that came before anyone attached, copied out of the shared buffer. */
  private early: Buffer[] = [];

  /** For net.connect's options. */
  readonly onread = {
    buffer: (): Buffer => (sharedBuffer ??= Buffer.allocUnsafeSlow(SHARED_READ_BYTES)),
    callback: (n: number, buf: Buffer): boolean => {
      const chunk = buf.subarray(0, n);
      if (this.sink) this.sink(chunk);
      else this.early.push(Buffer.from(chunk));
      return true; // keep reading: PeerWire pauses the socket itself
    },
  };

  /** From now on every chunk goes to `sink` (the ones that came early first, now). */
  attach(sink: ReadSink): void {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const c of early) sink(c);
  }
}

/** A socket made with a ReadTap: its data never comes as 'data' events. */
export function tapSocket(socket: Socket, tap: ReadTap): void {
  taps.set(socket, tap);
}

export function readTapOf(socket: Socket): ReadTap | undefined {
  return taps.get(socket);
}
