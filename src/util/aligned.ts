/**
 * Page-aligned buffers, for writes that skip the page cache (O_DIRECT needs the memory
 * address, the file offset and the length all on a 4 KiB boundary). Node's own large
 * buffers start wherever malloc put them, which was never on a page in our tests; the
 * memory of a WebAssembly.Memory always starts on one, so aligned buffers are views of it.
 */
export const PAGE_BYTES = 4096;
const WASM_PAGE_BYTES = 65536;

/** The ArrayBuffers known to start on a page (only the ones made here). */
const pageStarts = new WeakSet<ArrayBufferLike>();

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type MemoryCtor = new (d: { initial: number; maximum: number }) => WasmMemory;
const Memory = (globalThis as { WebAssembly?: { Memory?: MemoryCtor } }).WebAssembly?.Memory;

/**
 * `bytes` of page-aligned memory, or an ordinary buffer where WebAssembly is unavailable
 * (node --jitless) or refuses the size: callers then simply lose the faster writes.
 */
export function allocPageAligned(bytes: number): Buffer {
  if (Memory && bytes > 0) {
    const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
    try {
      const mem = new Memory({ initial: pages, maximum: pages });
      pageStarts.add(mem.buffer);
      return Buffer.from(mem.buffer, 0, bytes);
    } catch {
      // out of address space for wasm memories: fall through
    }
  }
  return Buffer.allocUnsafeSlow(bytes);
}

/** True when the first byte of `buf` sits on a page boundary. */
export function startsOnPage(buf: Uint8Array): boolean {
  return buf.byteOffset % PAGE_BYTES === 0 && pageStarts.has(buf.buffer);
}
