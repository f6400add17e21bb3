import { test } from 'node:test';
import { Bitfield } from '../../src/wire/bitfield.js';
import { encodeExtendedHandshake } from '../../src/wire/extension.js';
import { encodeHandshake, makeReserved } from '../../src/wire/handshake.js';
import { encodeMessage, type Message } from '../../src/wire/messages.js';
import { MseInitiator, MseResponder } from '../../src/wire/mse-handshake.js';
import { fuzz } from '../helpers/fuzz.js';
import { MSE_FUZZ_HASH, MSE_FUZZ_RANDOM } from './wire-targets.js';

const targets = new URL('./wire-targets.js', import.meta.url).href;
const infoHash = Buffer.alloc(20, 0x61);
const peerId = Buffer.from('-SW0001-abcdefghijkl');

const extended = [
  encodeExtendedHandshake({ m: { ut_metadata: 2, ut_pex: 1 }, v: 'libtorrent 2.0.8', p: 6881, reqq: 500, metadataSize: 31_337, yourip: Buffer.from([127, 0, 0, 1]) }),
  encodeExtendedHandshake({ m: { ut_metadata: 3, lt_donthave: 7, upload_only: 0 }, yourip: Buffer.alloc(16, 1) }),
  Buffer.from('d12:complete_agoi-1e1:md11:ut_metadatai2ee13:metadata_sizei5e11:upload_onlyi1ee'),
];

const stream = (msgs: Message[]) => Buffer.concat(msgs.map(encodeMessage));
const bf = new Bitfield(21);
bf.set(0);
bf.set(20);
const streams = [
  stream([{ type: 'bitfield', bits: bf.toBuffer() }, { type: 'unchoke' }, { type: 'interested' }, { type: 'have', index: 3 }]),
  stream([
    { type: 'request', index: 1, begin: 16384, length: 16384 },
    { type: 'piece', index: 1, begin: 0, block: Buffer.alloc(40, 0x55) },
    { type: 'cancel', index: 1, begin: 16384, length: 16384 },
    { type: 'keep-alive' },
  ]),
  stream([{ type: 'have-all' }, { type: 'allowed-fast', index: 9 }, { type: 'suggest', index: 2 }, { type: 'reject-request', index: 0, begin: 0, length: 16384 }, { type: 'have-none' }]),
  stream([{ type: 'extended', id: 0, payload: extended[0]! }, { type: 'extended', id: 2, payload: Buffer.from('d8:msg_typei0e5:piecei0ee') }, { type: 'port', port: 6881 }]),
  stream([{ type: 'choke' }, { type: 'not-interested' }, { type: 'unknown', id: 21, payload: Buffer.alloc(9, 1) }]),
];

test('fuzz: frame streams into FrameDecoder, cut two ways, re-encoded', async (t) => {
  await fuzz(t, 'wire-frames', { module: targets, exportName: 'frames', seeds: streams });
});

test('fuzz: handshakes', async (t) => {
  await fuzz(t, 'wire-handshake', {
    module: targets,
    exportName: 'handshake',
    seeds: [
      encodeHandshake({ infoHash, peerId }),
      encodeHandshake({ infoHash, peerId, reserved: makeReserved({ extensionProtocol: true, fast: true, dht: true }) }),
      Buffer.concat([encodeHandshake({ infoHash, peerId }), streams[0]!]),
    ],
  });
});

test('fuzz: BEP 10 extended handshakes', async (t) => {
  await fuzz(t, 'wire-extended', { module: targets, exportName: 'extendedHandshake', seeds: extended, structural: true });
});

test('fuzz: bitfields', async (t) => {
  const withCount = (n: number, b: Buffer) => Buffer.concat([Buffer.from([n >> 8, n & 0xff]), b]);
  await fuzz(t, 'wire-bitfield', {
    module: targets,
    exportName: 'bitfield',
    seeds: [withCount(21, bf.toBuffer()), withCount(8, Buffer.from([0xff])), withCount(0, Buffer.alloc(0)), withCount(1000, Buffer.alloc(125, 0xaa))],
  });
});

/** What an initiator sends the fixed-key responder: Ya, PadA, then step 3 with an initial payload. */
function mseTranscript(provide: { plaintext: boolean; rc4: boolean }, after: Buffer): Buffer {
  const a = new MseInitiator({ infoHash: MSE_FUZZ_HASH, provide, initialPayload: encodeHandshake({ infoHash: MSE_FUZZ_HASH, peerId }) });
  const opening = a.start();
  const b = new MseResponder({ infoHashes: () => [MSE_FUZZ_HASH], allow: { plaintext: true, rc4: true } }, MSE_FUZZ_RANDOM);
  const yb = b.feed(opening).send!;
  return Buffer.concat([opening, a.feed(yb).send!, after]);
}

test('fuzz: MSE handshakes into the responder', async (t) => {
  await fuzz(t, 'wire-mse', {
    module: targets,
    exportName: 'mseResponder',
    seeds: [
      mseTranscript({ plaintext: true, rc4: true }, streams[0]!),
      mseTranscript({ plaintext: false, rc4: true }, streams[1]!),
      mseTranscript({ plaintext: true, rc4: false }, Buffer.alloc(0)),
    ],
  });
});
