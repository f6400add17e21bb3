/** The command line of `npm run bench`. Pure: argv in, options out (or the help text). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LETTERS, SCENARIO_KEYS, type Letter, type ScenarioKey } from './download.js';

export const PARTS = ['create', 'tracker', 'restart'] as const;
export type Part = (typeof PARTS)[number];

export const HELP = `npm run bench -- [options]     (or: node dist/test/bench/run.js [options])
  --rounds N      rounds of interleaved download runs (default 5; 1 with --quick)
  --size MiB      payload of the download runs and of swarm create (default 1024; 256 with --quick)
  --only LIST     comma-separated: runs a,b,c,d; scenarios one,four,small,big; parts create,tracker,restart.
                  Runs and scenarios left out of LIST are all kept when any of them is named;
                  parts run only when named. Default: everything (big only with --big).
  --quick         smoke test: 256 MiB, 1 round
  --big           add the memory check on a payload 4x --size (4 GiB by default)
  --timeout S     a leecher still running after S seconds per GiB is killed and reported (default 300)
  --out FILE      JSON results (default bench-results.json in the current folder)`;

export interface Options {
  rounds: number;
  sizeMiB: number;
  letters: Letter[];
  scenarioKeys: ScenarioKey[];
  parts: Part[];
  timeoutSec: number;
  out: string;
}

/** Undefined for --help; throws a one-line Error for bad usage. */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      size: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      big: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const num = (v: string | undefined, dflt: number, what: string) => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what} must be a whole number of at least 1, not ${v}`);
    return n;
  };
  const only = values.only?.split(',').map((x) => x.trim()).filter(Boolean);
  const known = new Set<string>([...LETTERS, ...SCENARIO_KEYS, ...PARTS]);
  for (const x of only ?? []) if (!known.has(x)) throw new Error(`--only: unknown item ${x} (known: ${[...known].join(', ')})`);
  const defaultKeys = SCENARIO_KEYS.filter((k) => k !== 'big' || values.big);
  let letters = LETTERS;
  let scenarioKeys = defaultKeys;
  let parts: Part[] = [...PARTS];
  if (only) {
    const l = LETTERS.filter((x) => only.includes(x));
    const s = SCENARIO_KEYS.filter((x) => only.includes(x));
    const downloads = l.length > 0 || s.length > 0;
    letters = downloads ? (l.length ? l : LETTERS) : [];
    scenarioKeys = downloads ? (s.length ? s : defaultKeys) : [];
    parts = PARTS.filter((x) => only.includes(x));
  }
  if (values.big && !scenarioKeys.includes('big') && letters.length) scenarioKeys = [...scenarioKeys, 'big'];
  return {
    rounds: num(values.rounds, values.quick ? 1 : 5, 'rounds'),
    sizeMiB: num(values.size, values.quick ? 256 : 1024, 'size'),
    letters,
    scenarioKeys,
    parts,
    timeoutSec: num(values.timeout, 300, 'timeout'),
    out: resolve(values.out ?? 'bench-results.json'),
  };
}
