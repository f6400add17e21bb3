import { WireError } from '../util/errors.js';

/**
 * Peer wire messages (BEP 3), the fast extension's messages (BEP 6) and the extension
 * protocol's envelope (BEP 10). On the wire each is `<u32 length><u8 id><payload>`, and a
 * keep-alive is a bare zero length.
 */
export type Message =
  | { type: 'keep-alive' }
  | { type: 'choke' }
  | { type: 'unchoke' }
  | { type: 'interested' }
  | { type: 'not-interested' }
  | { type: 'have'; index: number }
  | { type: 'bitfield'; bits: Buffer }
  | { type: 'request'; index: number; begin: number; length: number }
  | { type: 'piece'; index: number; begin: number; block: Buffer }
  | { type: 'cancel'; index: number; begin: number; length: number }
  | { type: 'port'; port: number }
  | { type: 'suggest'; index: number }
  | { type: 'have-all' }
  | { type: 'have-none' }
  | { type: 'reject-request'; index: number; begin: number; length: number }
  | { type: 'allowed-fast'; index: number }
  | { type: 'extended'; id: number; payload: Buffer }
  /**
   * An id this codec does not know (BEP 52 hash messages, private extensions). The
   * decoder returns it instead of failing so a session can choose to ignore it.
   */
  | { type: 'unknown'; id: number; payload: Buffer };

export type MessageType = Message['type'];

export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  'not-interested': 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 13,
  'have-all': 14,
  'have-none': 15,
  'reject-request': 16,
  'allowed-fast': 17,
  extended: 20,
} as const;

/** Message type by id, for error messages and logs. */
export const MESSAGE_NAMES: readonly (string | undefined)[] = (() => {
  const t = new Array<string | undefined>(256).fill(undefined);
  for (const [name, id] of Object.entries(MessageId)) t[id] = name;
  return t;
})();

/** Largest block a request may ask for, and the block size everyone uses. */
export const BLOCK_SIZE = 16 * 1024;
/** Default cap on a frame's length prefix: a 1 MiB block plus the piece header. */
export const DEFAULT_MAX_FRAME = 1024 * 1024 + 13;
/** Length prefix + id + index + begin. */
export const PIECE_HEADER_LENGTH = 13;

/**
 * The frame length (the value of the length prefix) of every message whose size is fixed;
 * -1 for messages with a variable payload. Indexed by message id.
 */
export const FIXED_FRAME_LENGTH: readonly number[] = (() => {
  const t = new Array<number>(256).fill(-1);
  for (const id of [0, 1, 2, 3, 14, 15]) t[id] = 1;
  for (const id of [4, 13, 17]) t[id] = 5;
  for (const id of [6, 8, 16]) t[id] = 13;
  t[9] = 3;
  return t;
})();

/** The smallest frame length of the variable-size messages (id byte + fixed fields). */
export const MIN_FRAME_LENGTH: readonly number[] = (() => {
  const t = new Array<number>(256).fill(-1);
  t[5] = 1; // bitfield: the payload may be any length; Bitfield checks it against the torrent
  t[7] = 9; // piece: index + begin, then the block
  t[20] = 2; // extended: the extension id, then its payload
  return t;
})();

export function isKnownId(id: number): boolean {
  return FIXED_FRAME_LENGTH[id] !== -1 || MIN_FRAME_LENGTH[id] !== -1;
}

// Messages without fields are shared frozen singletons: the decoder allocates nothing for them.
export const KEEP_ALIVE: Message = Object.freeze({ type: 'keep-alive' });
export const CHOKE: Message = Object.freeze({ type: 'choke' });
export const UNCHOKE: Message = Object.freeze({ type: 'unchoke' });
export const INTERESTED: Message = Object.freeze({ type: 'interested' });
export const NOT_INTERESTED: Message = Object.freeze({ type: 'not-interested' });
export const HAVE_ALL: Message = Object.freeze({ type: 'have-all' });
export const HAVE_NONE: Message = Object.freeze({ type: 'have-none' });

/** Four zero bytes: never written to, so one copy serves every connection. */
export const KEEP_ALIVE_FRAME: Buffer = Buffer.alloc(4);

function u32(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new WireError('BAD_FIELD', `${what} ${n} is not a 32-bit unsigned integer`);
  }
  return n;
}

function u8(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) {
    throw new WireError('BAD_FIELD', `${what} ${n} is not a byte`);
  }
  return n;
}

function frame(id: number, payloadLength: number): Buffer {
  const buf = Buffer.allocUnsafe(5 + payloadLength);
  buf.writeUInt32BE(u32(1 + payloadLength, 'frame length'), 0);
  buf[4] = id;
  return buf;
}

function withBytes(id: number, lead: number[], bytes: Buffer): Buffer {
  const buf = frame(id, lead.length + bytes.length);
  for (let i = 0; i < lead.length; i++) buf[5 + i] = lead[i]!;
  bytes.copy(buf, 5 + lead.length);
  return buf;
}

function withU32s(id: number, values: number[], names: string[]): Buffer {
  const buf = frame(id, 4 * values.length);
  for (let i = 0; i < values.length; i++) buf.writeUInt32BE(u32(values[i]!, names[i]!), 5 + 4 * i);
  return buf;
}

/**
 * Encode one message into a new buffer. Payload buffers (bitfield, block, extended) are
 * copied; to send a block without copying it use `encodePieceHeader` and write the block
 * after it. Throws WireError 'BAD_FIELD' for values that do not fit their fields.
 */
export function encodeMessage(msg: Message): Buffer {
  switch (msg.type) {
    case 'keep-alive':
      return Buffer.alloc(4);
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return frame(MessageId[msg.type], 0);
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return withU32s(MessageId[msg.type], [msg.index], ['index']);
    case 'request':
    case 'cancel':
    case 'reject-request':
      return withU32s(MessageId[msg.type], [msg.index, msg.begin, msg.length], ['index', 'begin', 'length']);
    case 'bitfield':
      return withBytes(MessageId.bitfield, [], msg.bits);
    case 'piece': {
      const buf = Buffer.allocUnsafe(PIECE_HEADER_LENGTH + msg.block.length);
      writePieceHeader(buf, 0, msg.index, msg.begin, msg.block.length);
      msg.block.copy(buf, PIECE_HEADER_LENGTH);
      return buf;
    }
    case 'port': {
      if (!Number.isInteger(msg.port) || msg.port < 0 || msg.port > 0xffff) {
        throw new WireError('BAD_FIELD', `port ${msg.port} is not a 16-bit unsigned integer`);
      }
      const buf = frame(MessageId.port, 2);
      buf.writeUInt16BE(msg.port, 5);
      return buf;
    }
    case 'extended':
      return withBytes(MessageId.extended, [u8(msg.id, 'extended message id')], msg.payload);
    case 'unknown':
      if (isKnownId(u8(msg.id, 'message id'))) {
        throw new WireError('BAD_FIELD', `message id ${msg.id} is a known message, not an unknown one`);
      }
      return withBytes(msg.id, [], msg.payload);
  }
}

/** The 13 bytes that precede a block of `length` bytes in a piece message. */
export function encodePieceHeader(index: number, begin: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(PIECE_HEADER_LENGTH);
  writePieceHeader(buf, 0, index, begin, length);
  return buf;
}

/** Writes a piece header at `offset` of `buf` (13 bytes). */
export function writePieceHeader(buf: Buffer, offset: number, index: number, begin: number, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff - 9) {
    throw new WireError('BAD_FIELD', `block length ${length} does not fit a frame`);
  }
  buf.writeUInt32BE(9 + length, offset);
  buf[offset + 4] = MessageId.piece;
  buf.writeUInt32BE(u32(index, 'index'), offset + 5);
  buf.writeUInt32BE(u32(begin, 'begin'), offset + 9);
}

/** Bytes of one request frame: the 4-byte length prefix, the id and three 32-bit fields. */
const REQUEST_FRAME = 17;

/**
 * Request messages for `blocks`, back to back in one buffer: what a batch of requests
 * costs is one allocation, not a message object and a buffer per request (65,536 of each
 * per GiB of 16 KiB pieces). Throws WireError 'BAD_FIELD' as encodeMessage does.
 */
export function encodeRequests(blocks: readonly { index: number; begin: number; length: number }[]): Buffer {
  const buf = Buffer.allocUnsafe(REQUEST_FRAME * blocks.length);
  for (let i = 0, at = 0; i < blocks.length; i++, at += REQUEST_FRAME) {
    const b = blocks[i]!;
    buf.writeUInt32BE(REQUEST_FRAME - 4, at);
    buf[at + 4] = MessageId.request;
    buf.writeUInt32BE(u32(b.index, 'index'), at + 5);
    buf.writeUInt32BE(u32(b.begin, 'begin'), at + 9);
    buf.writeUInt32BE(u32(b.length, 'length'), at + 13);
  }
  return buf;
}

/** A short description for logs: the type and its numbers, never the payload bytes. */
export function describeMessage(msg: Message): string {
  switch (msg.type) {
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return `${msg.type} ${msg.index}`;
    case 'request':
    case 'cancel':
    case 'reject-request':
      return `${msg.type} ${msg.index}:${msg.begin}+${msg.length}`;
    case 'piece':
      return `piece ${msg.index}:${msg.begin}+${msg.block.length}`;
    case 'bitfield':
      return `bitfield (${msg.bits.length} bytes)`;
    case 'port':
      return `port ${msg.port}`;
    case 'extended':
    case 'unknown':
      return `${msg.type} id ${msg.id} (${msg.payload.length} bytes)`;
    default:
      return msg.type;
  }
}

/**
 * The message with its bytes copied out of the chunk it was decoded from, except a
 * piece's block (copied once into its piece by the receiver): for chunks in a read buffer
 * that the next read reuses (net/shared-reads.ts).
 */
export function ownedExceptBlock(msg: Message): Message {
  switch (msg.type) {
    case 'bitfield':
      return { type: 'bitfield', bits: Buffer.from(msg.bits) };
    case 'extended':
      return { type: 'extended', id: msg.id, payload: Buffer.from(msg.payload) };
    case 'unknown':
      return { type: 'unknown', id: msg.id, payload: Buffer.from(msg.payload) };
    default:
      return msg;
  }
}
