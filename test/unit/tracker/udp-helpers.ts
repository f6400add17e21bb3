import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface Received {
  action: number;
  tid: number;
  msg: Buffer;
  rinfo: RemoteInfo;
}

/** A scripted UDP "tracker" on loopback: `reply` decides what (if anything) to answer. */
export async function fakeUdpTracker(
  reply: (r: Received, sock: Socket) => Buffer | Buffer[] | undefined,
  host = '127.0.0.1',
): Promise<{ port: number; got: Received[]; sock: Socket; close(): Promise<void> }> {
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: Received[] = [];
  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const r = { action: msg.length >= 12 ? msg.readUInt32BE(8) : -1, tid: msg.length >= 16 ? msg.readUInt32BE(12) : -1, msg, rinfo };
    got.push(r);
    const out = reply(r, sock);
    for (const b of out === undefined ? [] : Array.isArray(out) ? out : [out]) sock.send(b, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, host, () => resolve()));
  return { port: sock.address().port, got, sock, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/** True when this machine has an IPv6 loopback to test with. */
export async function haveIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp6');
    s.once('error', () => resolve(false));
    s.bind(0, '::1', () => s.close(() => resolve(true)));
  });
}
