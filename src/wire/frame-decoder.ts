import { WireError } from '../util/errors.js';
import {
  CHOKE,
  DEFAULT_MAX_FRAME,
  FIXED_FRAME_LENGTH,
  HAVE_ALL,
  HAVE_NONE,
  INTERESTED,
  KEEP_ALIVE,
  MESSAGE_NAMES,
  MIN_FRAME_LENGTH,
  NOT_INTERESTED,
  UNCHOKE,
  type Message,
} from './messages.js';

export type MessageHandler = (msg: Message) => void;

export interface FrameDecoderOptions {
  /** Largest length prefix accepted (bytes after the prefix). Default 1 MiB + 13. */
  maxFrame?: number;
  /**
   * Assemble frames that straddle chunks in one reused buffer instead of a new one each.
   * Only for callers that are done with every message when the handler returns (their
   * chunks are reused too: see net/shared-reads.ts).
   */
  reuse?: boolean;
}

/** Frames up to this size (a block message is 16 KiB + 13) straddle into the reused buffer. */
const REUSED_BODY_BYTES = 64 * 1024;

/**
 * Splits a byte stream into messages, however the stream is cut into chunks.
 *
 * Two ways in: `feed(chunk, handler)` calls `handler` once per message and allocates
 * nothing else (the fast path a socket uses); `push(chunk)` returns the messages in an
 * array (handy in tests).
 *
 * Zero copy: a message whose frame lies inside one chunk refers to that chunk (a piece's
 * `block`, a bitfield's `bits` and an extended `payload` are subarrays of it), so the
 * caller must not reuse the chunk's memory while it holds them (sockets never do). Only a
 * frame that straddles chunks is copied, once, into a buffer of exactly its size.
 *
 * Limits are checked before anything is buffered: the length prefix against `maxFrame`
 * as soon as its 4 bytes are in, and the id against the length as soon as the id byte is
 * in (a `have` must be 5 bytes long, and so on), so a lying peer costs us at most
 * `maxFrame` bytes and nothing before the id byte.
 *
 * Errors: WireError 'FRAME_TOO_LARGE' or 'BAD_LENGTH'. Unknown ids are not errors: they
 * come out as `{ type: 'unknown', id, payload }` for the session to ignore or punish.
 * After an error (or a throwing handler) the decoder is dead: every later call throws the
 * same error, because the stream position is lost. Messages that came before the bad
 * frame in the same chunk were already handed to `feed`'s handler; `push` throws them away.
 */
export class FrameDecoder {
  readonly maxFrame: number;
  /** The length prefix, while it straddles chunks. */
  private readonly head = Buffer.alloc(4);
  private headFilled = 0;
  /** A frame length whose id byte has not arrived yet; -1 when none. */
  private pendingLength = -1;
  /** The frame (id byte onwards) being assembled from several chunks. */
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private failure: unknown = null;
  private readonly reuse: boolean;
  private scratch: Buffer | undefined;
  private collected: Message[] = [];
  private readonly collect = (msg: Message): void => {
    this.collected.push(msg);
  };

  constructor(opts?: FrameDecoderOptions) {
    const max = opts?.maxFrame ?? DEFAULT_MAX_FRAME;
    if (!Number.isInteger(max) || max < 1 || max > 0xffffffff) {
      throw new WireError('BAD_OPTION', `maxFrame ${max} is not a positive 32-bit integer`);
    }
    this.maxFrame = max;
    this.reuse = opts?.reuse === true;
  }

  /** Bytes of an incomplete frame received so far (its length prefix included). */
  get buffered(): number {
    if (this.body !== null) return 4 + this.bodyFilled;
    return this.pendingLength >= 0 ? 4 : this.headFilled;
  }

  push(chunk: Buffer): Message[] {
    this.collected = [];
    this.feed(chunk, this.collect);
    const out = this.collected;
    this.collected = [];
    return out;
  }

  feed(chunk: Buffer, onMessage: MessageHandler): void {
    if (this.failure !== null) throw this.failure;
    try {
      this.run(chunk, onMessage);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  private run(chunk: Buffer, onMessage: MessageHandler): void {
    const end = chunk.length;
    let pos = 0;
    if (this.body !== null) {
      const body = this.body;
      const n = Math.min(body.length - this.bodyFilled, end);
      chunk.copy(body, this.bodyFilled, 0, n);
      this.bodyFilled += n;
      pos = n;
      if (this.bodyFilled < body.length) return;
      this.body = null;
      this.bodyFilled = 0;
      onMessage(parseFrame(body, 0, body.length));
    } else if (this.pendingLength >= 0) {
      const len = this.pendingLength;
      this.pendingLength = -1;
      pos = this.frame(chunk, 0, len, onMessage);
    } else if (this.headFilled > 0) {
      const head = this.head;
      while (this.headFilled < 4 && pos < end) head[this.headFilled++] = chunk[pos++]!;
      if (this.headFilled < 4) return;
      this.headFilled = 0;
      pos = this.frame(chunk, pos, readU32(head, 0), onMessage);
    }
    while (end - pos >= 4) {
      pos = this.frame(chunk, pos + 4, readU32(chunk, pos), onMessage);
    }
    while (pos < end) this.head[this.headFilled++] = chunk[pos++]!;
  }

  /** One frame of `len` bytes starting at `pos` (after its prefix). Returns the new position. */
  private frame(chunk: Buffer, pos: number, len: number, onMessage: MessageHandler): number {
    if (len === 0) {
      onMessage(KEEP_ALIVE);
      return pos;
    }
    if (len > this.maxFrame) {
      throw new WireError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds the limit of ${this.maxFrame}`);
    }
    const avail = chunk.length - pos;
    if (avail >= len) {
      onMessage(parseFrame(chunk, pos, len));
      return pos + len;
    }
    if (avail === 0) {
      this.pendingLength = len;
      return pos;
    }
    checkLength(chunk[pos]!, len);
    const body =
      this.reuse && len <= REUSED_BODY_BYTES
        ? (this.scratch ??= Buffer.allocUnsafeSlow(REUSED_BODY_BYTES)).subarray(0, len)
        : Buffer.allocUnsafe(len);
    chunk.copy(body, 0, pos, chunk.length);
    this.body = body;
    this.bodyFilled = avail;
    return chunk.length;
  }
}

function readU32(buf: Buffer, i: number): number {
  return buf[i]! * 0x1000000 + ((buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!);
}

function nameOf(id: number): string {
  return MESSAGE_NAMES[id] ?? `id ${id}`;
}

/** Throws unless a frame of length `len` (id byte included) is possible for message `id`. */
export function checkLength(id: number, len: number): void {
  const fixed = FIXED_FRAME_LENGTH[id]!;
  if (fixed !== -1) {
    if (len !== fixed) throw new WireError('BAD_LENGTH', `${nameOf(id)} frame of ${len} bytes, expected ${fixed}`);
    return;
  }
  const min = MIN_FRAME_LENGTH[id]!;
  if (len < min) throw new WireError('BAD_LENGTH', `${nameOf(id)} frame of ${len} bytes, expected at least ${min}`);
}

/** Decode one complete frame: `len` bytes at `off`, starting with the id byte. */
export function parseFrame(buf: Buffer, off: number, len: number): Message {
  const id = buf[off]!;
  checkLength(id, len);
  switch (id) {
    case 0:
      return CHOKE;
    case 1:
      return UNCHOKE;
    case 2:
      return INTERESTED;
    case 3:
      return NOT_INTERESTED;
    case 4:
      return { type: 'have', index: readU32(buf, off + 1) };
    case 5:
      return { type: 'bitfield', bits: buf.subarray(off + 1, off + len) };
    case 6:
      return { type: 'request', index: readU32(buf, off + 1), begin: readU32(buf, off + 5), length: readU32(buf, off + 9) };
    case 7:
      return { type: 'piece', index: readU32(buf, off + 1), begin: readU32(buf, off + 5), block: buf.subarray(off + 9, off + len) };
    case 8:
      return { type: 'cancel', index: readU32(buf, off + 1), begin: readU32(buf, off + 5), length: readU32(buf, off + 9) };
    case 9:
      return { type: 'port', port: (buf[off + 1]! << 8) | buf[off + 2]! };
    case 13:
      return { type: 'suggest', index: readU32(buf, off + 1) };
    case 14:
      return HAVE_ALL;
    case 15:
      return HAVE_NONE;
    case 16:
      return {
        type: 'reject-request',
        index: readU32(buf, off + 1),
        begin: readU32(buf, off + 5),
        length: readU32(buf, off + 9),
      };
    case 17:
      return { type: 'allowed-fast', index: readU32(buf, off + 1) };
    case 20:
      return { type: 'extended', id: buf[off + 1]!, payload: buf.subarray(off + 2, off + len) };
    default:
      return { type: 'unknown', id, payload: buf.subarray(off + 1, off + len) };
  }
}
