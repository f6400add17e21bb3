export { PeerWire, PEER_WIRE_DEFAULTS } from './peer-wire.js';
export type { AcceptHandshake, CloseReason, PeerWireEvents, PeerWireOptions } from './peer-wire.js';
export { connectPeer, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { PeerListener, DEFAULT_MAX_HALF_OPEN } from './listener.js';
export type { IncomingHandler, PeerListenerOptions } from './listener.js';
