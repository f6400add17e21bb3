import { StorageError } from '../util/errors.js';
import { logger } from '../util/log.js';
import type { PieceLayout } from '../metainfo/layout.js';
import type { FilePool } from './file-pool.js';

const log = logger('storage:parts');

const MAGIC = Buffer.from('SWPARTS\0', 'latin1');
const VERSION = 1;
const FILE_HEADER = 16; // magic, u32 version, u32 piece length
const SLOT_HEADER = 8; // u32 piece index + 1 (0 = free), u32 piece size

/**
 * Whole pieces that touch a file the user did not select, so no byte lands in that file.
 * The file is a header and a row of slots, each one piece long with a small header of its
 * own; the slot header is written after the data, so a crash mid-write leaves a free slot.
 * Few pieces live here (those shared between selected and unselected files), so a slot
 * map rebuilt by reading every slot header at first use is cheap.
 */
export class PartFile {
  private loaded: Promise<void> | undefined;
  private readonly slots = new Map<number, number>();
  private readonly free: number[] = [];
  private nextSlot = 0;
  private fresh = false;
  private header: Promise<void> | undefined;
  private readonly busy = new Map<number, Promise<void>>();

  constructor(
    private readonly pool: FilePool,
    readonly rel: readonly string[],
    private readonly layout: PieceLayout,
  ) {}

  get display(): string {
    return this.pool.display(this.rel);
  }

  async has(index: number): Promise<boolean> {
    await this.load();
    return this.slots.has(index);
  }

  /** Pieces stored here, ascending. */
  async pieces(): Promise<number[]> {
    await this.load();
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  /** Store a whole piece; writing the same piece again reuses its slot. */
  async write(index: number, data: Buffer): Promise<void> {
    await this.load();
    // One write per piece at a time, so two writes of a piece never take two slots.
    const prev = this.busy.get(index);
    const job = (async () => {
      if (prev) await prev.catch(() => undefined);
      await this.writeNow(index, data);
    })();
    this.busy.set(index, job);
    try {
      await job;
    } finally {
      if (this.busy.get(index) === job) this.busy.delete(index);
    }
  }

  /** Copy bytes [pieceOffset, pieceOffset+length) of a stored piece into buf at bufOffset. */
  async read(index: number, buf: Buffer, bufOffset: number, pieceOffset: number, length: number): Promise<void> {
    await this.load();
    const slot = this.slots.get(index);
    if (slot === undefined) {
      throw new StorageError('NOT_STORED', `piece ${index} is not in the part file "${this.display}"`);
    }
    const n = await this.pool.read(this.rel, buf, bufOffset, length, this.slotOffset(slot) + SLOT_HEADER + pieceOffset);
    if (n !== length) throw new StorageError('SHORT_READ', `the part file "${this.display}" is shorter than expected`);
  }

  private slotOffset(slot: number): number {
    return FILE_HEADER + slot * (SLOT_HEADER + this.layout.pieceLength);
  }

  private async writeNow(index: number, data: Buffer): Promise<void> {
    if (this.fresh) {
      this.header ??= this.writeHeader();
      await this.header;
    }
    let slot = this.slots.get(index);
    const isNew = slot === undefined;
    if (slot === undefined) slot = this.free.pop() ?? this.nextSlot++;
    const at = this.slotOffset(slot);
    try {
      await this.pool.write(this.rel, data, 0, data.length, at + SLOT_HEADER);
      if (isNew) {
        const h = Buffer.alloc(SLOT_HEADER);
        h.writeUInt32BE(index + 1, 0);
        h.writeUInt32BE(data.length, 4);
        await this.pool.write(this.rel, h, 0, SLOT_HEADER, at);
        this.slots.set(index, slot);
      }
    } catch (err) {
      if (isNew) this.free.push(slot);
      throw err;
    }
  }

  private async writeHeader(): Promise<void> {
    const h = Buffer.alloc(FILE_HEADER);
    MAGIC.copy(h, 0);
    h.writeUInt32BE(VERSION, 8);
    h.writeUInt32BE(this.layout.pieceLength, 12);
    // Whatever was there (another torrent's slots, garbage) must not be read as ours.
    await this.pool.truncate(this.rel, 0);
    await this.pool.write(this.rel, h, 0, FILE_HEADER, 0);
  }

  private load(): Promise<void> {
    this.loaded ??= this.loadNow();
    return this.loaded;
  }

  private async loadNow(): Promise<void> {
    const st = await this.pool.stat(this.rel);
    if (st === null) {
      this.fresh = true;
      return;
    }
    const head = Buffer.alloc(FILE_HEADER);
    const got = await this.pool.read(this.rel, head, 0, FILE_HEADER, 0);
    if (
      got !== FILE_HEADER ||
      !head.subarray(0, 8).equals(MAGIC) ||
      head.readUInt32BE(8) !== VERSION ||
      head.readUInt32BE(12) !== this.layout.pieceLength
    ) {
      log('ignoring %s: not a part file of this torrent', this.display);
      this.fresh = true;
      return;
    }
    const slotSize = SLOT_HEADER + this.layout.pieceLength;
    // The last slot may hold the short last piece, so it can end before a full slot.
    const count = Math.min(Math.ceil((st.size - FILE_HEADER) / slotSize), this.layout.pieceCount);
    const sh = Buffer.alloc(SLOT_HEADER);
    for (let slot = 0; slot < count; slot++) {
      const n = await this.pool.read(this.rel, sh, 0, SLOT_HEADER, this.slotOffset(slot));
      const index = sh.readUInt32BE(0) - 1;
      const valid =
        n === SLOT_HEADER &&
        index >= 0 &&
        index < this.layout.pieceCount &&
        sh.readUInt32BE(4) === this.layout.pieceSize(index) &&
        this.slotOffset(slot) + SLOT_HEADER + sh.readUInt32BE(4) <= st.size &&
        !this.slots.has(index);
      if (valid) this.slots.set(index, slot);
      else this.free.push(slot);
    }
    this.nextSlot = count;
  }
}
