export { decode, decodeDetailed, DEFAULT_LIMITS } from './decode.js';
export type { BValue, BDict, BList, DecodeLimits, Decoded, Span } from './decode.js';
export { encode } from './encode.js';
export type { EValue } from './encode.js';
export { isDict, isList, isBytes, isInt } from './types.js';
