import type { RemoteInfo, Socket } from 'node:dgram';
import { normalizeAddress } from '../protocol/ip.js';
import { decodeUdpRequest, encodeAnnounceResponse, encodeConnectResponse, encodeErrorResponse, encodeScrapeResponse, type UdpRequest } from '../protocol/udp.js';
import type { TrackerCore } from './core.js';

/**
 * BEP 15 on one socket. Garbage and packets whose connection id does not match their
 * source address are dropped without an answer: a spoofed source gets nothing.
 */
export function serveUdp(sock: Socket, core: TrackerCore): void {
  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    let req: UdpRequest;
    try {
      req = decodeUdpRequest(msg);
    } catch {
      core.bad('udp', rinfo.address, 'malformed packet');
      return;
    }
    const from = normalizeAddress(rinfo.address);
    const now = core.now();
    const reply = (b: Buffer) => sock.send(b, rinfo.port, rinfo.address, () => {});
    if (req.action === 'connect') return reply(encodeConnectResponse(req.tid, core.ids.issue(from.host, rinfo.port, now)));
    if (!core.ids.check(req.connectionId, from.host, rinfo.port, now)) {
      core.bad('udp', rinfo.address, 'unknown connection id');
      return;
    }
    if (req.action === 'scrape') return reply(encodeScrapeResponse(req.tid, core.scrape(req.infoHashes, 'udp')));
    const a = req.announce;
    if (a.port === 0) return reply(encodeErrorResponse(req.tid, 'bad port'));
    const ans = core.announce(a, { ...from, onlyFamily: from.family }, 'udp');
    if (!ans.ok) return reply(encodeErrorResponse(req.tid, ans.reason));
    let size = 0;
    for (const p of ans.peers) size += p.compact.length;
    const peers = Buffer.allocUnsafe(size);
    let at = 0;
    for (const p of ans.peers) at += p.compact.copy(peers, at);
    reply(encodeAnnounceResponse(req.tid, core.interval, ans.incomplete, ans.complete, peers));
  });
}
