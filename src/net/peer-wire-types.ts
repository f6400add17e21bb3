import type { Socket } from 'node:net';
import type { ObfuscationOptions } from './obfuscation.js';
import type { Handshake } from '../wire/handshake.js';
import type { Message } from '../wire/messages.js';

/** The options, events and defaults of PeerWire (peer-wire.ts). */

/**
 * Decides on an incoming handshake: `true` accepts, a string refuses with that reason
 * (e.g. `(h) => torrents.has(hex(h.infoHash)) || 'unknown-torrent'`).
 */
export type AcceptHandshake = (remote: Handshake) => true | string;

export interface PeerWireOptions {
  socket: Socket;
  /** 'outgoing': we dialed, so we send our handshake first. 'incoming': we read theirs first. */
  direction: 'outgoing' | 'incoming';
  /** Our peer id (20 bytes). A remote with the same id is us: closed with reason 'self'. */
  peerId: Buffer;
  /** The torrent we dial for; required when outgoing. Incoming takes the remote's. */
  infoHash?: Buffer;
  /** Our reserved bytes (see makeReserved). Default: all zero. */
  reserved?: Buffer;
  /**
   * Incoming only: accept or refuse the torrent the remote asks for (default: accept).
   * Called after the self check; if it throws, the wire closes with 'handler-error'.
   */
  accept?: AcceptHandshake;
  /** Closing the signal closes the wire with reason 'aborted'. */
  signal?: AbortSignal;
  /** Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Close after this long without receiving a byte (not counted while paused). Default 120 s. */
  idleTimeoutMs?: number;
  /** Send a keep-alive after this long without sending anything. Default 100 s. */
  keepAliveMs?: number;
  /** send() returns false once this many bytes wait in the socket. Default 1 MiB. */
  writeHighWaterMark?: number;
  /** Largest frame accepted from the remote. Default 1 MiB + 13. */
  maxFrame?: number;
  /** Message Stream Encryption: accepted (incoming) or opened with (outgoing). Default: plain only. */
  obfuscation?: ObfuscationOptions;
}

/**
 * Why a wire closed. PeerWire itself uses these; `close(reason)` takes any string, and a
 * refusing `accept` supplies its own.
 */
export type CloseReason =
  | 'handshake-timeout'
  | 'idle-timeout'
  | 'self'
  | 'info-hash-mismatch'
  | 'protocol-error'
  | 'handler-error'
  | 'remote-closed'
  | 'socket-error'
  | 'aborted';

export interface PeerWireEvents {
  handshake: [remote: Handshake];
  message: [msg: Message];
  drain: [];
  close: [reason: string, error: Error | undefined];
}

export const PEER_WIRE_DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  keepAliveMs: 100_000,
  // 'drain' comes only once the buffer is empty: with 256 KiB the socket ran dry between
  // refills, and libtorrent took 3.7-4.5 s for 1 GiB from us against 3.6-3.9 s with 1 MiB
  writeHighWaterMark: 1024 * 1024,
} as const;
