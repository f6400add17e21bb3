import { test } from 'node:test';
import { fuzz } from '../helpers/fuzz.js';

const HEX = 'ee7de26fbcf440cf9a26e50bb63c06732d0b6eef';

test('fuzz: the magnet parser returns a magnet or throws one of our errors', async (t) => {
  const seeds = [
    `magnet:?xt=urn:btih:${HEX}`,
    `magnet:?xt=urn:btih:5Z66ET5466UM7GRG4UF3MPAGOMWQW3XP&dn=My+Film%20(2020)&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr.1=udp://127.0.0.1:80`,
    `magnet:?xt=urn:btih:${HEX}&ws=http%3A%2F%2Fws%2Ff&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D%3A51413&xl=1234`,
    `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&xt=urn:btih:${HEX}&dn=hybrid`,
    `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`,
    HEX,
    '5Z66ET5466UM7GRG4UF3MPAGOMWQW3XP',
    'magnet:?dn=%E2%9C%93&tr=',
  ];
  await fuzz(t, 'magnet', {
    module: new URL('../../src/metainfo/magnet.js', import.meta.url).href,
    exportName: 'parseMagnet',
    seeds: seeds.map((s) => Buffer.from(s)),
    text: true,
    tokens: [
      '&', '=', '%', '%2', '%ZZ', '%00', '%E2%9C', '+', '?', ':', '[', ']', '::1', '127.0.0.1:', ':65536', ':0',
      `&xt=urn:btih:${HEX}`, '&xt=urn:btih:', 'urn:btmh:1220', '&tr=', '&tr.1=', '&ws=', '&dn=', '&x.pe=', 'http://', 'udp://',
      '5Z66ET5466UM7GRG4UF3MPAGOMWQW3XP', HEX.slice(0, 20),
    ],
  });
});
