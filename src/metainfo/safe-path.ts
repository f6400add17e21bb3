import { MetainfoError } from '../util/errors.js';

/**
 * Path components from a torrent are untrusted. Some are rejected outright, because no
 * honest torrent has them and they are how path traversal works: `..`, `.`, empty
 * components, NUL, and separators inside a component (which is also how an absolute path
 * would have to be spelled in a path list). Others are legal in a torrent but cannot be
 * (or should not be) names on disk; those are mapped to safe names instead.
 */

/** Longest file name most file systems take, in UTF-8 bytes. */
export const MAX_COMPONENT_BYTES = 255;

export interface SafeNameOptions {
  /** Also map names Windows cannot store (reserved device names, `<>:"|?*`, trailing dots). */
  windows?: boolean;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const WINDOWS_BAD_CHARS = /[<>:"|?*]/g;
// C0 controls and DEL are legal on Linux, but in a file name they are a way to put
// escape sequences in front of whoever lists the folder in a terminal.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x01-\x1f\x7f]/g;

/** Why a raw component must be rejected, or undefined when it is acceptable. */
export function unsafeReason(raw: Buffer): string | undefined {
  if (raw.length === 0) return 'an empty path component';
  if (raw.includes(0)) return 'a NUL byte in a path component';
  if (raw.includes(0x2f) || raw.includes(0x5c)) return 'a path separator inside a path component';
  const s = raw.toString('latin1');
  if (s === '.' || s === '..') return `a "${s}" path component`;
  return undefined;
}

/**
 * Checks one raw component and returns the name to use on disk. `what` names the field in
 * the error, e.g. `info.files[3].path`.
 */
export function safeComponent(raw: Buffer, what: string, opts: SafeNameOptions = {}): string {
  const reason = unsafeReason(raw);
  if (reason) throw new MetainfoError('UNSAFE_PATH', `${what} has ${reason}`, what);
  return diskName(raw.toString('utf8'), opts);
}

/** Maps a decoded name to one the disk accepts; never returns `.`, `..` or ''. */
export function diskName(name: string, opts: SafeNameOptions = {}): string {
  // Invalid UTF-8 already became U+FFFD when the caller decoded it.
  let s = name.replace(CONTROL_CHARS, '_');
  if (opts.windows) {
    s = s.replace(WINDOWS_BAD_CHARS, '_');
    // Windows silently drops trailing dots and spaces, so "a." and "a" would collide.
    s = s.replace(/[. ]+$/, (m) => '_'.repeat(m.length));
    if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  }
  s = truncateUtf8(s, MAX_COMPONENT_BYTES);
  if (s === '' || s === '.' || s === '..') s = '_';
  return s;
}

/**
 * Shortens a name to at most `max` UTF-8 bytes without splitting a character, keeping a
 * short extension so the file still opens with the right program.
 */
export function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  const dot = s.lastIndexOf('.');
  const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : '';
  const room = max - Buffer.byteLength(ext);
  let out = '';
  let used = 0;
  for (const ch of s.slice(0, s.length - ext.length)) {
    const n = Buffer.byteLength(ch);
    if (used + n > room) break;
    out += ch;
    used += n;
  }
  return out + ext;
}

/** Default options for this machine. */
export function platformNameOptions(): SafeNameOptions {
  return { windows: process.platform === 'win32' };
}
