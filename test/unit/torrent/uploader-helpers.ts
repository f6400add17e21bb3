import type { PieceLayout } from '../../../src/metainfo/layout.js';
import { DEFAULT_LIMITS } from '../../../src/torrent/defaults.js';
import { PeerConnection, type PeerTransport } from '../../../src/torrent/peer-connection.js';
import { Uploader, type UploadHost } from '../../../src/torrent/uploader.js';

/**
 * An Uploader over `layout` with one peer on a fake transport (the test's), everything
 * the host does not say defaulted: no limit, every piece ours, seeding.
 */
export function fakeUploader(
  layout: PieceLayout,
  transport: Partial<Record<keyof PeerTransport, unknown>>,
  host: Partial<UploadHost> & Pick<UploadHost, 'readPiece'>,
): { up: Uploader; peer: PeerConnection } {
  const fake = { send: () => true, close: () => undefined, ...transport } as unknown as PeerTransport;
  const peer = new PeerConnection(1, fake, { host: '127.0.0.1', port: 1 }, Buffer.alloc(20), 'incoming', layout.pieceCount, 0);
  const up = new Uploader({
    layout,
    limits: DEFAULT_LIMITS,
    uploadLimit: undefined,
    signal: new AbortController().signal,
    now: () => 0,
    havePiece: () => true,
    seeding: () => true,
    peers: () => [peer],
    readFailed: () => undefined,
    ...host,
  });
  return { up, peer };
}
