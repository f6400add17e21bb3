/** One announce as the server sees it, whether it came over HTTP or UDP. */
export interface ServerAnnounce {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: 'none' | 'started' | 'completed' | 'stopped';
  /** What the client asked for; undefined means the server's default. */
  numwant: number | undefined;
  compact: boolean;
  noPeerId: boolean;
}
