import { test } from 'node:test';
import { fuzz } from '../helpers/fuzz.js';
import { torrentSeeds } from './seeds.js';

test('fuzz: the bencode decoder returns a value or throws a BencodeError', async (t) => {
  const snippets = ['i42e', 'i-7e', '4:spam', 'le', 'de', 'l4:spami42ee', 'd3:cow3:moo4:spam4:eggse', 'd1:ad1:bd1:cleeee', '0:', 'lllleeee'];
  await fuzz(t, 'bencode', {
    module: new URL('../../src/bencode/decode.js', import.meta.url).href,
    exportName: 'decode',
    seeds: [...torrentSeeds(), ...snippets.map((s) => Buffer.from(s))],
    structural: true,
  });
});
