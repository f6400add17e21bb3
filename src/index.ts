/**
 * swarm as a library: the same engine the `swarm` command drives.
 *
 *   const session = new Session();
 *   await session.listen();
 *   const torrent = session.add({ metainfo: await loadTorrentFile('x.torrent'), root: 'downloads' });
 *   await torrent.start();
 *   torrent.on('done', () => session.close());
 */
export { decode, decodeDetailed, encode } from './bencode/index.js';
export type { BValue, BDict, BList, DecodeLimits } from './bencode/index.js';
export { parseTorrent, pieceHash, loadTorrentFile } from './metainfo/metainfo.js';
export type { Metainfo, ListedFile } from './metainfo/metainfo.js';
export { parseMagnet, formatMagnet, parseTarget } from './metainfo/magnet.js';
export type { Magnet } from './metainfo/magnet.js';
export { createTorrent } from './metainfo/create.js';
export { PieceLayout } from './metainfo/layout.js';
export { Session, makePeerId } from './torrent/session.js';
export type { EncryptionMode, SessionOptions } from './torrent/session.js';
export { Torrent } from './torrent/torrent.js';
export type { TorrentOptions, TorrentStats, TorrentPhase } from './torrent/torrent.js';
export { DEFAULT_LIMITS } from './torrent/defaults.js';
export type { TorrentLimits } from './torrent/defaults.js';
export { Announcer, scrape } from './tracker/client/index.js';
export { startTracker } from './tracker/server/index.js';
export {
  SwarmError,
  BencodeError,
  MetainfoError,
  UsageError,
  WireError,
  TrackerError,
  StorageError,
} from './util/errors.js';
