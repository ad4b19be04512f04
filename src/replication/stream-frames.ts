// src/replication/stream-frames.ts: what flows on a replication link after the handshake. Every
// frame is a RESP array of bulk strings (what a Redis primary sends its replicas is commands too),
// so the replica reads the stream with the protocol's RespReader.
//   primary -> replica
//     WAL <crc32> <payload> [<events>]     one write batch as the primary's WAL holds it (wal.ts),
//                                          crc32 (zlib, decimal) of the payload, checked on arrival;
//                                          events: its keyspace events (keyspace-events.ts), when kept
//     CHECKPOINT <header>                  a full copy begins: lastSequence and the tables'
//                                          metadata (storage encodeCheckpointHeader)
//     CHUNK <table index> <bytes>          the next bytes of that table, in order
//     TABLEEND <table index> <size> <crc32>  that table is complete: its size and its crc32
//     CHECKPOINTEND                        every table sent; WAL frames from lastSequence + 1 follow
//     PING                                 the link is alive (every repl-ping-replica-period)
//     REPLCONF GETACK *                    answer with an ACK now (a WAIT is waiting)
//   replica -> primary
//     REPLCONF ACK <seq>                   every batch up to seq is durable (fsynced) here
//     REPLCONF TSKV-EVENTS <0|1>           whether it wants WAL frames' keyspace events (its
//                                          notify-keyspace-events, or a replica of its, uses them)
// Invariants:
// - WAL frames carry consecutive batches: the first after CONTINUE is the replica's seq + 1,
//   the first after CHECKPOINTEND is the checkpoint's lastSequence + 1.
// - A frame that does not parse, a crc that does not match, or a batch out of sequence ends the
//   link (the replica reconnects and resumes from what it has).
import { crc32 } from 'node:zlib';

export const FRAME = {
  wal: 'WAL',
  checkpoint: 'CHECKPOINT',
  chunk: 'CHUNK',
  tableEnd: 'TABLEEND',
  checkpointEnd: 'CHECKPOINTEND',
  ping: 'PING',
  replconf: 'REPLCONF',
} as const;

const CRLF = Buffer.from('\r\n');

/** The RESP bytes of one frame, as pieces to write in order (payloads are not copied). */
export function framePieces(words: readonly (string | Buffer)[]): Buffer[] {
  const pieces: Buffer[] = [Buffer.from(`*${words.length}\r\n`)];
  for (const word of words) {
    const bytes = typeof word === 'string' ? Buffer.from(word, 'latin1') : word;
    pieces.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return pieces;
}

export function frameBytes(words: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(framePieces(words));
}

export function walFrame(payload: Buffer, events?: Buffer): Buffer[] {
  const words = [FRAME.wal, String(crc32(payload)), payload];
  return framePieces(events === undefined ? words : [...words, events]);
}

export function ackFrame(seq: number): Buffer {
  return frameBytes([FRAME.replconf, 'ACK', String(seq)]);
}

export const EVENTS_WISH = 'tskv-events';

export function eventsWishFrame(wanted: boolean): Buffer {
  return frameBytes([FRAME.replconf, EVENTS_WISH, wanted ? '1' : '0']);
}

export const PING_FRAME = frameBytes([FRAME.ping]);
export const GETACK_FRAME = frameBytes([FRAME.replconf, 'GETACK', '*']);

/** The frame's name, upper case. */
export function frameName(frame: readonly Buffer[]): string {
  return (frame[0] ?? Buffer.alloc(0)).toString('latin1').toUpperCase();
}

/** A decimal argument as a safe non-negative integer, or undefined. */
export function frameNumber(bytes: Buffer | undefined): number | undefined {
  if (bytes === undefined || bytes.length === 0 || bytes.length > 16) return undefined;
  const text = bytes.toString('latin1');
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function payloadCrc(payload: Buffer): number {
  return crc32(payload);
}
