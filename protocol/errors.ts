// protocol/errors.ts: the operating errors of the protocol layer.
// Invariants:
// - A RespProtocolError's message is Redis's reply text without the leading '-ERR ', word for
//   word (src/networking.c, Redis 7.2), so src/dispatch/dispatch.ts can answer `-ERR ${message}` and
//   close the connection, as Redis does with CLIENT_CLOSE_AFTER_REPLY.
// - The values involved (the limit crossed, the stream offset of the bad request) are fields,
//   not part of the message, because clients and Redis's own tests match the message.

/** Redis's texts, keyed by a stable reason. `expectedDollar` is completed with the byte seen. */
export const PROTOCOL_ERROR_TEXT = {
  tooBigInline: 'Protocol error: too big inline request',
  tooBigMultibulkCount: 'Protocol error: too big mbulk count string',
  tooBigBulkCount: 'Protocol error: too big bulk count string',
  invalidMultibulkLength: 'Protocol error: invalid multibulk length',
  invalidBulkLength: 'Protocol error: invalid bulk length',
  expectedDollar: "Protocol error: expected '$', got ",
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
  unauthenticatedMultibulkLength: 'Protocol error: unauthenticated multibulk length',
  unauthenticatedBulkLength: 'Protocol error: unauthenticated bulk length',
} as const;

export type RespProtocolReason = keyof typeof PROTOCOL_ERROR_TEXT;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: string = 'ERR_PROTOCOL';
}

/** A request that breaks RESP or one of the reader's limits; the connection must be closed. */
export class RespProtocolError extends ProtocolError {
  override name = 'RespProtocolError';
  override readonly code = 'ERR_RESP_PROTOCOL';
  readonly reason: RespProtocolReason;
  /** Bytes of the stream consumed before the request that failed. */
  readonly offset: number;
  /** The limit that was crossed, when one was. */
  readonly limit: number | undefined;

  constructor(reason: RespProtocolReason, offset: number, limit?: number, got?: number) {
    super(protocolErrorText(reason, got));
    this.reason = reason;
    this.offset = offset;
    this.limit = limit;
  }
}

/**
 * Redis's text for a reason. For `expectedDollar`, `got` is the byte found instead of '$';
 * Redis prints it with %c and its reply path turns CR and LF into spaces, so we do too.
 */
export function protocolErrorText(reason: RespProtocolReason, got?: number): string {
  if (reason !== 'expectedDollar') return PROTOCOL_ERROR_TEXT[reason];
  const byte = got ?? 0x3f; // '?' only if a caller forgot the byte
  const shown = byte === 0x0d || byte === 0x0a ? ' ' : String.fromCharCode(byte);
  return `${PROTOCOL_ERROR_TEXT.expectedDollar}'${shown}'`;
}
