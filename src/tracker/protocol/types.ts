import type { PeerAddress } from './compact.js';

export type AnnounceEvent = 'started' | 'completed' | 'stopped';

/** The fields every announce carries, whichever side reads it. */
interface AnnounceCore {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
}

/** What a client tells a tracker in one announce (HTTP or UDP). */
export interface AnnounceParams extends AnnounceCore {
  event?: AnnounceEvent;
  numwant?: number;
  /** A random 32-bit number that stays the same for the whole session (lets a tracker tell us apart after an IP change). */
  key?: number;
  /** HTTP only: the `tracker id` the tracker gave us earlier. */
  trackerId?: Buffer;
}

/** A tracker's answer to an announce, whatever the transport. Intervals are in seconds. */
export interface AnnounceResponse {
  interval?: number;
  minInterval?: number;
  complete?: number;
  incomplete?: number;
  downloaded?: number;
  trackerId?: Buffer;
  warning?: string;
  peers: PeerAddress[];
}

export interface ScrapeStats {
  complete: number;
  incomplete: number;
  downloaded: number;
}

/** BEP 15 event numbers. */
export const UDP_EVENT = { none: 0, completed: 1, started: 2, stopped: 3 } as const;

/** One announce as the server sees it, whether it came over HTTP or UDP. */
export interface ServerAnnounce extends AnnounceCore {
  event: 'none' | AnnounceEvent;
  /** What the client asked for; undefined means the server's default. */
  numwant: number | undefined;
  compact: boolean;
  noPeerId: boolean;
}
