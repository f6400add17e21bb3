import type { PeerConnection } from '../../../src/torrent/peer-connection.js';
import type { Torrent } from '../../../src/torrent/torrent.js';

export type ClientName = 'libtorrent' | 'transmission' | 'aria2' | 'swarm' | 'other';

/** Which client a peer id belongs to (Azureus-style ids, and aria2's own form). */
export function clientOf(peerId: Buffer): ClientName {
  const id = peerId.toString('latin1');
  if (id.startsWith('-LT')) return 'libtorrent';
  if (id.startsWith('-TR')) return 'transmission';
  if (id.startsWith('A2-')) return 'aria2';
  if (id.startsWith('-SW')) return 'swarm';
  return 'other';
}

interface Seen {
  client: ClientName;
  peer: PeerConnection;
}

/**
 * Our side's view of a swarm: every connection a torrent made or accepted, which client
 * was at the other end, and the payload bytes that went each way. It does not rely on
 * what the other client reports about itself.
 */
export class PeerLog {
  private readonly seen: Seen[] = [];
  /** Most connections open at the same time. */
  maxOpen = 0;
  private open = 0;

  constructor(torrent: Torrent) {
    torrent.peers.on('peer', (peer: PeerConnection) => {
      this.seen.push({ client: clientOf(peer.peerId), peer });
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
    });
    torrent.peers.on('peer-closed', () => this.open--);
  }

  /** Payload bytes received from that client, over all its connections. */
  receivedFrom(client: ClientName): number {
    let n = 0;
    for (const s of this.seen) if (s.client === client) n += s.peer.transport.payloadReceived;
    return n;
  }

  sentTo(client: ClientName): number {
    let n = 0;
    for (const s of this.seen) if (s.client === client) n += s.peer.transport.payloadSent;
    return n;
  }

  /**
   * Protocol violations we counted against real clients. Real clients follow the protocol
   * as they read it, so each one is a place where swarm reads it more narrowly than they do.
   */
  violations(): number {
    let n = 0;
    for (const s of this.seen) n += s.peer.violations;
    return n;
  }

  /** What we believe a client has, on its connection that knows the most. */
  piecesOf(client: ClientName): number {
    let n = 0;
    for (const s of this.seen) if (s.client === client) n = Math.max(n, s.peer.has.count());
    return n;
  }

  /** What that client's extended handshakes (BEP 10) said: its name (v) and reqq, per connection. */
  extendedOf(client: ClientName): Array<{ v: string | undefined; reqq: number | undefined }> {
    return this.seen.filter((s) => s.client === client).map((s) => ({ v: s.peer.client, reqq: s.peer.reqq }));
  }

  /** One line per connection, for diagnostics. */
  describe(): string {
    return this.seen
      .map((s) => {
        const w = s.peer.transport;
        const why = s.peer.closed ? `closed: ${s.peer.closeReason}` : 'open';
        return `${s.client} ${s.peer.label} ${s.peer.source} rx=${w.payloadReceived} tx=${w.payloadSent} has=${s.peer.has.count()} violations=${s.peer.violations} v=${s.peer.client ?? '-'} reqq=${s.peer.reqq ?? '-'} (${why})`;
      })
      .join('\n');
  }
}
