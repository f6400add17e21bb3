import { test } from 'node:test';
import { fuzz } from '../helpers/fuzz.js';
import { torrentSeeds } from './seeds.js';

test('fuzz: the metainfo parser returns a torrent or throws one of our errors', async (t) => {
  await fuzz(t, 'metainfo', {
    module: new URL('../../src/metainfo/parse.js', import.meta.url).href,
    exportName: 'parseTorrent',
    seeds: torrentSeeds(),
    structural: true,
  });
});
