import { isIP } from 'node:net';
import { parseAnnounceResponse, parseScrapeResponse } from '../../src/tracker/protocol/http-client.js';
import { encodeHttpAnnounce, parseHttpAnnounce, parseHttpScrape, parseQuery } from '../../src/tracker/protocol/http-server.js';
import type { PeerAddress } from '../../src/tracker/protocol/compact.js';
import { decodeUdpRequest, decodeUdpResponse, encodeAnnounceResponse, encodeScrapeResponse } from '../../src/tracker/protocol/udp.js';
import { SwarmStore } from '../../src/tracker/server/store.js';
import { isSwarmError } from '../../src/util/errors.js';

/**
 * Fuzz targets for the tracker parsers. Each runs a parser and then checks what it
 * returned: an invariant broken is a plain Error, which the fuzzer reports as a failure.
 */

function checkPeers(peers: PeerAddress[]): void {
  for (const p of peers) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new Error(`peer with port ${p.port}`);
    if (isIP(p.host) === 0 && !/^[A-Za-z0-9.-]+$/.test(p.host)) throw new Error(`peer with host ${JSON.stringify(p.host)}`);
  }
}

const store = new SwarmStore(60_000, { maxTorrents: 1000, maxPeersPerTorrent: 100, maxPeers: 10_000 });
let now = 0;

/** Tracker side: a datagram from anyone, all the way to the answer bytes (connection ids aside). */
export function udpServer(buf: Buffer): void {
  const r = decodeUdpRequest(buf);
  if (r.action === 'announce') {
    if (r.announce.infoHash.length !== 20 || r.announce.peerId.length !== 20) throw new Error('bad hash length');
    const ans = store.announce(r.announce, { host: '127.0.0.1', family: 4, onlyFamily: 4 }, (now += 1000));
    if (ans.ok) encodeAnnounceResponse(r.tid, 60, ans.incomplete, ans.complete, ans.compact4);
    if (store.stats().peers > 10_000) throw new Error('store cap broken');
  } else if (r.action === 'scrape') {
    if (r.infoHashes.length < 1 || r.infoHashes.length > 74) throw new Error(`${r.infoHashes.length} hashes`);
    encodeScrapeResponse(r.tid, r.infoHashes.map((h) => store.scrape(h)));
  }
}

/** Client side: a datagram that claims to be a tracker's answer, read as IPv4 and as IPv6. */
export function udpClient(buf: Buffer): void {
  let err: unknown;
  for (const family of [4, 6] as const) {
    try {
      const r = decodeUdpResponse(buf, family, 500);
      if (r.action === 'announce') {
        checkPeers(r.peers);
        if (r.peers.length > 500) throw new Error('peer cap broken');
      }
      if (r.action === 'error' && /[\u0000-\u001f]/.test(r.message)) throw new Error('control characters in an error message');
    } catch (e) {
      if (!isSwarmError(e)) throw e;
      err = e;
    }
  }
  if (err) throw err;
}

/** Tracker side: an HTTP query string, parsed as an announce and as a scrape, answered in both forms. */
export function httpQuery(text: string): void {
  const q = parseQuery(text);
  let err: unknown;
  try {
    const a = parseHttpAnnounce(q);
    if (a.port < 1 || a.port > 65535 || a.infoHash.length !== 20) throw new Error('bad announce accepted');
    const ans = store.announce(a, { host: '10.0.0.1', family: 4 }, (now += 1000), { records: true });
    if (ans.ok) {
      const body = encodeHttpAnnounce({ interval: 60, complete: ans.complete, incomplete: ans.incomplete, peers4: Buffer.concat(ans.compact4), peers6: Buffer.concat(ans.compact6) });
      const peers = parseAnnounceResponse(body).peers;
      checkPeers(peers);
      if (peers.length !== ans.count || ans.peers?.length !== ans.count) throw new Error('answer count mismatch');
    }
  } catch (e) {
    if (!isSwarmError(e)) throw e;
    err = e;
  }
  const hashes = parseHttpScrape(q);
  if (hashes.some((h) => h.length !== 20)) throw new Error('bad scrape hash accepted');
  if (err) throw err;
}

/** Client side: an HTTP tracker's body, as an announce answer and as a scrape answer. */
export function httpAnswer(buf: Buffer): void {
  let err: unknown;
  try {
    const r = parseAnnounceResponse(buf, { maxPeers: 500 });
    checkPeers(r.peers);
    if (r.peers.length > 1000) throw new Error('peer cap broken');
    if (r.warning !== undefined && /[\u0000-\u001f]/.test(r.warning)) throw new Error('control characters in a warning');
  } catch (e) {
    if (!isSwarmError(e)) throw e;
    err = e;
  }
  parseScrapeResponse(buf, Buffer.alloc(20, 0x61));
  if (err) throw err;
}
