import { test } from 'node:test';
import { encode } from '../../src/bencode/encode.js';
import { encodeCompactPeer } from '../../src/tracker/protocol/compact.js';
import { buildAnnounceUrl, buildScrapeUrl } from '../../src/tracker/protocol/http-client.js';
import { encodeHttpFailure, encodeHttpScrape } from '../../src/tracker/protocol/http-server.js';
import {
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
} from '../../src/tracker/protocol/udp.js';
import { fuzz } from '../helpers/fuzz.js';

const targets = new URL('./tracker-targets.js', import.meta.url).href;
const hash = Buffer.alloc(20, 0x61);
const pid = Buffer.from('-SW0001-abcdefghijkl');
const cid = Buffer.from('0123456789abcdef', 'hex');
const p4 = Buffer.concat([encodeCompactPeer('127.0.0.1', 6881)!, encodeCompactPeer('10.0.0.2', 1)!]);
const p6 = encodeCompactPeer('::1', 6881)!;
const announce = { infoHash: hash, peerId: pid, port: 6881, uploaded: 1, downloaded: 2, left: 3, numwant: 50, key: 7 };

test('fuzz: UDP packets into the tracker (decode, store, answer)', async (t) => {
  await fuzz(t, 'udp-request', {
    module: targets,
    exportName: 'udpServer',
    seeds: [
      encodeConnectRequest(1),
      encodeAnnounceRequest(cid, 2, { ...announce, event: 'started' }),
      encodeAnnounceRequest(cid, 3, { ...announce, left: 0, event: 'completed' }),
      encodeAnnounceRequest(cid, 4, { ...announce, event: 'stopped' }),
      Buffer.concat([encodeAnnounceRequest(cid, 5, announce), Buffer.from([2, 5, 0x2f, 0x61, 0x3f, 0x62, 0x3d, 1])]),
      encodeScrapeRequest(cid, 6, [hash, Buffer.alloc(20, 1), Buffer.alloc(20, 2)]),
    ],
  });
});

test('fuzz: UDP answers into the client', async (t) => {
  await fuzz(t, 'udp-response', {
    module: targets,
    exportName: 'udpClient',
    seeds: [
      encodeConnectResponse(1, cid),
      encodeAnnounceResponse(2, 1800, 3, 4, p4),
      encodeAnnounceResponse(3, 60, 0, 1, p6),
      encodeAnnounceResponse(4, 60, 0, 0, Buffer.alloc(0)),
      encodeScrapeResponse(5, [{ complete: 1, downloaded: 2, incomplete: 3 }, { complete: 0, downloaded: 0, incomplete: 0 }]),
      encodeErrorResponse(6, 'torrent not registered'),
    ],
  });
});

test('fuzz: HTTP query strings into the tracker (announce and scrape)', async (t) => {
  const q = (u: string) => u.slice(u.indexOf('?') + 1);
  await fuzz(t, 'http-query', {
    module: targets,
    exportName: 'httpQuery',
    text: true,
    seeds: [
      q(buildAnnounceUrl('http://x/announce', { ...announce, event: 'started' })),
      q(buildAnnounceUrl('http://x/announce', { ...announce, left: 0, trackerId: Buffer.from('tid') })),
      `${q(buildAnnounceUrl('http://x/announce', announce))}&compact=0&no_peer_id=1&ip=1.2.3.4`,
      q(buildScrapeUrl('http://x/scrape', [hash, Buffer.alloc(20, 0xff)])),
    ].map((s) => Buffer.from(s)),
    tokens: ['&', '=', '%', '%0', '%zz', '%FF', '+', 'info_hash=', 'peer_id=', 'port=', 'port=0', 'port=65536', 'left=', 'left=-1', 'event=stopped', 'event=completed', 'numwant=', 'numwant=99999999999', 'compact=0', '%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00', '\u0100', '\u00ff'],
  });
});

test('fuzz: HTTP tracker answers into the client', async (t) => {
  await fuzz(t, 'http-answer', {
    module: targets,
    exportName: 'httpAnswer',
    structural: true,
    seeds: [
      encode({ interval: 1800, 'min interval': 60, complete: 1, incomplete: 2, peers: p4, peers6: p6, 'tracker id': 'x', 'warning message': 'w' }),
      encode({ interval: 60, peers: [{ ip: '10.0.0.1', port: 1, 'peer id': pid }, { ip: '::1', port: 2 }, { ip: 'host.example', port: 3 }] }),
      encodeHttpFailure('unregistered torrent'),
      encodeHttpScrape([{ infoHash: hash, complete: 1, incomplete: 2, downloaded: 3 }]),
    ],
  });
});
