import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { normalizeAddress } from '../protocol/ip.js';
import { decodeUdpRequest, encodeAnnounceResponse, encodeConnectResponse, encodeErrorResponse, encodeScrapeResponse, type UdpRequest } from '../protocol/udp.js';
import type { TrackerCore } from './core.js';
import type { AnnounceFrom } from './store.js';

/**
 * The tracker only ever answers the IP literal a packet came from: a lookup that hands it
 * straight back spares dgram's default (dns.lookup, deferred to the next tick) per answer.
 */
function literalLookup(address: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  cb(null, address, address.includes(':') ? 6 : 4);
  void family;
}

export function createTrackerSocket(v6: boolean, dualStack: boolean): Socket {
  return v6
    ? createSocket({ type: 'udp6', ipv6Only: !dualStack, lookup: literalLookup as never })
    : createSocket({ type: 'udp4', lookup: literalLookup as never });
}

/**
 * BEP 15 on one socket. Garbage and packets whose connection id does not match their
 * source address are dropped without an answer: a spoofed source gets nothing.
 */
export function serveUdp(sock: Socket, core: TrackerCore, v6: boolean): void {
  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    let req: UdpRequest;
    try {
      req = decodeUdpRequest(msg);
    } catch {
      core.bad('udp', rinfo.address, 'malformed packet');
      return;
    }
    // an IPv4 socket only hears IPv4 sources; a dual-stack one may see v4-mapped ones
    const from: AnnounceFrom = v6 ? normalizeAddress(rinfo.address) : { host: rinfo.address, family: 4 };
    from.onlyFamily = from.family;
    const now = core.now();
    const reply = (b: Buffer) => sock.send(b, rinfo.port, rinfo.address);
    if (req.action === 'connect') return reply(encodeConnectResponse(req.tid, core.ids.issue(from.host, rinfo.port, now)));
    if (!core.ids.check(req.connectionId, from.host, rinfo.port, now)) {
      core.bad('udp', rinfo.address, 'unknown connection id');
      return;
    }
    if (req.action === 'scrape') return reply(encodeScrapeResponse(req.tid, core.scrape(req.infoHashes, 'udp')));
    const a = req.announce;
    if (a.port === 0) return reply(encodeErrorResponse(req.tid, 'bad port'));
    const ans = core.announce(a, from, 'udp');
    if (!ans.ok) return reply(encodeErrorResponse(req.tid, ans.reason));
    reply(encodeAnnounceResponse(req.tid, core.interval, ans.incomplete, ans.complete, from.family === 4 ? ans.compact4 : ans.compact6));
  });
}
