export * from './messages.js';
export { FrameDecoder, parseFrame, checkLength } from './frame-decoder.js';
export type { FrameDecoderOptions, MessageHandler } from './frame-decoder.js';
export * from './handshake.js';
export { Bitfield } from './bitfield.js';
export * from './extension.js';
