/**
 * One error class per family. Every error swarm throws on purpose is a SwarmError with a
 * stable `code`, so callers (and fuzz tests) can tell our errors from bugs.
 * `input` marks errors caused by what the user gave us (bad file, bad flag): exit code 2.
 */
export class SwarmError extends Error {
  readonly code: string;
  readonly input: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; input?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.input = options?.input ?? false;
  }
}

/** Malformed bencode. `offset` is the byte where decoding stopped. */
export class BencodeError extends SwarmError {
  readonly offset: number;
  constructor(code: string, message: string, offset: number) {
    super(code, `${message} at byte ${offset}`, { input: true });
    this.offset = offset;
  }
}

/** A .torrent or magnet that is not valid. `field` names the offending key when known. */
export class MetainfoError extends SwarmError {
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(code, message, { input: true });
    this.field = field;
  }
}

/** Bad command-line usage or user-supplied input (missing file, bad flag value). */
export class UsageError extends SwarmError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, input: true });
  }
}

/** A peer broke the wire protocol. The connection is closed; the process goes on. */
export class WireError extends SwarmError {}

/** A tracker failed or answered something we cannot use. */
export class TrackerError extends SwarmError {}

/** Disk trouble: full disk, permissions, missing data. */
export class StorageError extends SwarmError {}

export function isSwarmError(err: unknown): err is SwarmError {
  return err instanceof SwarmError;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
