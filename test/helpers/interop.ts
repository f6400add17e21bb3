import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Real clients are Debian packages; libtorrent must be imported by Debian's python. */
export const PYTHON = '/usr/bin/python3';

const cache = new Map<string, boolean>();

export function haveCommand(cmd: string): boolean {
  if (!cache.has(cmd)) cache.set(cmd, spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0);
  return cache.get(cmd)!;
}

export function haveLibtorrent(): boolean {
  if (!cache.has('libtorrent')) {
    cache.set('libtorrent', spawnSync(PYTHON, ['-c', 'import libtorrent'], { stdio: 'ignore' }).status === 0);
  }
  return cache.get('libtorrent')!;
}

/**
 * Skips the test when a real client is missing, so `npm test` passes on a fresh machine.
 * CI sets SWARM_INTEROP=require, and then a missing client is a failure.
 * Returns true when the client is there and the test should go on.
 */
export function needClient(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  if (process.env.SWARM_INTEROP === 'require') {
    throw new Error(`${what} is required here (SWARM_INTEROP=require) but is not installed`);
  }
  t.skip(`${what} is not installed (run: npm run setup:interop)`);
  return false;
}
