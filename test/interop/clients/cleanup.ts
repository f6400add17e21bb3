import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const stacks = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Runs `fn` when the test ends, last registered first: a client is stopped before the
 * folder it writes into is removed (t.after alone runs hooks first registered first, and a
 * client stopped late writes its resume file into a folder already gone, recreating it).
 * Every step runs even if one fails; the first failure is rethrown.
 */
export function defer(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const s: Array<() => unknown> = [];
    stacks.set(t, s);
    t.after(async () => {
      let first: unknown;
      for (const f of s.reverse()) {
        try {
          await f();
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== undefined) throw first;
    });
    stack = s;
  }
  stack.push(fn);
}

/** A fresh temporary folder, removed when the test ends (after what was started later). */
export function scratchDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
