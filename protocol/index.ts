// protocol/index.ts: what src/ may use of the protocol layer. Bytes in, commands out
// (RespReader); replies in, bytes out (RespWriter); plus Redis's glob matcher and integer
// syntax, which commands need to answer as Redis does. Nothing here knows sockets or storage.
export {
  ProtocolError,
  RespProtocolError,
  PROTOCOL_ERROR_TEXT,
  protocolErrorText,
  type RespProtocolReason,
} from './errors.js';
export {
  RespReader,
  parseRedisInteger,
  REDIS_READER_LIMITS,
  REDIS_UNAUTHENTICATED_LIMITS,
  BULK_BIG_BYTES_MIN,
  type ReaderLimits,
  type UnauthenticatedLimits,
} from './resp-reader.js';
export { RespWriter, formatDouble, REPLY, REPLY_OK, SLAB_BYTES, BULK_COPY_BYTES_MIN } from './resp-writer.js';
export { splitInlineArgs } from './inline-split.js';
export { globMatch, isMatchAllPattern, GLOB_STAR_NESTING_MAX } from './glob.js';
