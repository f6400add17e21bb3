export * from './types.js';
export * from './compact.js';
export * from './ip.js';
export * from './text.js';
export * from './http-client.js';
export * from './http-server.js';
export * from './udp.js';
