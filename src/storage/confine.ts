import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StorageError } from '../util/errors.js';
import { type FsBackend, storageError } from './fs-backend.js';

/**
 * Keeps every path inside the download folder. Layout paths are already sanitised by the
 * metainfo parser; this is defence in depth: each component is checked again, and the
 * deepest part of the path that exists on disk is resolved through symlinks and must
 * still be inside the (resolved) root. A symlink that leads outside, or a dangling one
 * (opening it with O_CREAT would create its target wherever it points), is refused.
 */
export class Confiner {
  readonly root: string;
  private realRoot: string | undefined;

  constructor(
    root: string,
    private readonly backend: FsBackend,
  ) {
    this.root = resolve(root);
  }

  /** The path as shown in messages, whether or not it is safe. */
  display(rel: readonly string[]): string {
    return join(this.root, ...rel.map((c) => String(c)));
  }

  /**
   * The absolute path for `rel`, checked. With `create`, missing parent folders (and the
   * root) are created, then checked again. Throws StorageError UNSAFE_PATH on escape,
   * ENOENT (from the caller's open) when the root itself is missing and !create.
   */
  async resolve(rel: readonly string[], create: boolean): Promise<string> {
    const abs = this.lexical(rel);
    const root = await this.getRealRoot(create);
    if (root === undefined) return abs;
    await this.checkDeepest(abs, rel, root);
    if (create && rel.length > 1) {
      const parent = join(this.root, ...rel.slice(0, -1));
      try {
        await this.backend.mkdir(parent);
      } catch (err) {
        throw storageError(err, 'creating the folder', parent);
      }
      // mkdir -p walks through existing symlinks: check where the folder really is.
      this.inside(await this.real(parent), root, rel);
    }
    return abs;
  }

  private lexical(rel: readonly string[]): string {
    if (rel.length === 0) this.refuse(rel, 'empty path');
    for (const c of rel) {
      if (typeof c !== 'string' || c === '' || c === '.' || c === '..' || c.includes('/') || c.includes('\0')) {
        this.refuse(rel, `bad path component ${JSON.stringify(c)}`);
      }
      if (sep === '\\' && (c.includes('\\') || c.includes(':'))) this.refuse(rel, `bad path component ${JSON.stringify(c)}`);
    }
    const abs = join(this.root, ...rel);
    const r = relative(this.root, abs);
    if (r === '' || r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) this.refuse(rel, 'outside the download folder');
    return abs;
  }

  private async getRealRoot(create: boolean): Promise<string | undefined> {
    if (this.realRoot !== undefined) return this.realRoot;
    const st = await this.backend.lstat(this.root).catch((err: unknown) => {
      throw storageError(err, 'checking the folder', this.root);
    });
    if (st === null) {
      // Nothing below a missing root exists yet: reads will find no file.
      if (!create) return undefined;
      try {
        await this.backend.mkdir(this.root);
      } catch (err) {
        throw storageError(err, 'creating the folder', this.root);
      }
    }
    this.realRoot = await this.real(this.root);
    return this.realRoot;
  }

  /** Walk up from the full path to the first part that exists and resolve it. */
  private async checkDeepest(abs: string, rel: readonly string[], root: string): Promise<void> {
    for (let n = rel.length; n >= 1; n--) {
      const p = n === rel.length ? abs : join(this.root, ...rel.slice(0, n));
      let st;
      try {
        st = await this.backend.lstat(p);
      } catch (err) {
        throw storageError(err, 'checking', p);
      }
      if (st === null) continue;
      let real: string;
      try {
        real = await this.backend.realpath(p);
      } catch {
        this.refuse(rel, 'a symlink in the path leads nowhere');
      }
      this.inside(real, root, rel);
      return;
    }
  }

  private async real(p: string): Promise<string> {
    try {
      return await this.backend.realpath(p);
    } catch (err) {
      throw storageError(err, 'resolving', p);
    }
  }

  private inside(real: string, root: string, rel: readonly string[]): void {
    const r = relative(root, real);
    if (r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) {
      this.refuse(rel, 'a symlink in the path leads outside the download folder');
    }
  }

  private refuse(rel: readonly string[], why: string): never {
    throw new StorageError('UNSAFE_PATH', `refusing path "${this.display(rel)}": ${why}`, { input: true });
  }
}
