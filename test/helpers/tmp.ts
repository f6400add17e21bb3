import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * A fresh temporary folder, removed when the test ends. The removal never throws: a hook
 * that throws skips the hooks after it, and a process still writing into the folder (one
 * that a later hook stops) made rmSync fail with ENOTEMPTY, so that process, and the
 * test file with it, ran on until CI's own limit. What is left then goes at exit.
 */
export function tempDir(t: TestContext, prefix = 'swarm-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      return true;
    } catch {
      return false;
    }
  };
  t.after(() => {
    if (!remove()) process.once('exit', remove);
  });
  return dir;
}
