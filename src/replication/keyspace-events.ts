// src/replication/keyspace-events.ts: the keyspace events (dispatch/notify.ts) a primary keeps for
// its replicas, so a replica publishes to its own subscribers what Redis 7.0's replica would: the
// events of the commands its primary propagates, which it executes (call() -> the command's
// notifyKeyspaceEvent), filtered by the replica's own notify-keyspace-events.
// The events of one batch travel as the WAL frame's fourth word (stream-frames.ts), each:
//   offset  bytes  field
//   0       4      class bit (KEYSPACE_EVENT, u32 little-endian)
//   4       2      db (u16)
//   6       1      event name length n, then n bytes of the name (latin1)
//   7 + n   4      key length k (u32), then k bytes of key
// What a replica executes is what Redis propagates, not always what the primary ran, so an event
// is recorded by the name the replica's command fires (PROPAGATED_AS): an expired key is
// propagated as DEL ('del'), SPOP as SREM, INCRBYFLOAT as SET, HINCRBYFLOAT as HSET. Known
// difference: SPOP with a count fires one 'srem' on a Redis replica per popped member (one SREM
// each) and only 'del' when it emptied the set (one DEL); here the replica gets one 'srem' (then
// 'del' when emptied) per SPOP.
// Invariants:
// - An event recorded while a command runs belongs to the batch its writes commit as: the
//   engine's next sequence number then. It stays pending until the keyspace settles the staged
//   writes (pubsub.ts calls settled()): kept on a commit, dropped when they are discarded.
// - Entries are in sequence order, kept until every attached replica was sent their batch
//   (dropThrough), and at most KEYSPACE_EVENT_LOG_BYTES_MAX bytes (oldest dropped first). A batch
//   whose events were dropped reaches a replica without them (one far behind, or one resuming
//   after its link broke): its subscribers miss them.
// - Recording happens only while the server is a primary with an attached replica that wants the
//   events (replication.ts), which clears the log when none does.
import assert from 'node:assert/strict';
import { KEYSPACE_EVENT } from '../ops/config-values.js';

/** The log's bound in encoded bytes (a replica's link more than this behind gets batches without events). */
export const KEYSPACE_EVENT_LOG_BYTES_MAX = 8 * 1024 * 1024;
const HEADER_BYTES = 7;
const KEY_LENGTH_BYTES = 4;

/** The event a replica fires when it executes what Redis propagates for a primary's event. */
const PROPAGATED_AS: ReadonlyMap<string, { type: number; event: string }> = new Map([
  ['expired', { type: KEYSPACE_EVENT.generic, event: 'del' }],
  ['evicted', { type: KEYSPACE_EVENT.generic, event: 'del' }],
  ['spop', { type: KEYSPACE_EVENT.set, event: 'srem' }],
  ['incrbyfloat', { type: KEYSPACE_EVENT.string, event: 'set' }],
  ['hincrbyfloat', { type: KEYSPACE_EVENT.hash, event: 'hset' }],
]);

export interface KeyspaceEvent {
  type: number;
  event: string;
  key: Buffer;
  db: number;
}

interface Entry {
  seq: number; // the first sequence number of the batch the events belong to
  bytes: Buffer; // encoded events
}

export class KeyspaceEventLog {
  /** Whether notify.ts records events (a primary with a replica that wants them). */
  recording = false;
  private entries: Entry[] = [];
  private head = 0; // entries before it were dropped
  private bytes = 0;
  private pendingCount = 0; // the newest entries, of writes not settled yet

  /** nextSequence: the first sequence number the engine's next write gets. */
  constructor(private readonly nextSequence: () => number) {}

  /** One event of the command running now (notify.ts, while recording): pending until settled. */
  record(type: number, event: string, key: Buffer, db: number): void {
    const propagated = PROPAGATED_AS.get(event);
    this.push({ seq: this.nextSequence(), bytes: encodeEvent(propagated?.type ?? type, propagated?.event ?? event, key, db) });
    this.pendingCount++;
  }

  /** The staged writes the pending events describe were committed (true) or discarded (false). */
  settled(committed: boolean): void {
    for (; !committed && this.pendingCount > 0 && this.entries.length > this.head; this.pendingCount--) {
      this.bytes -= this.entries.pop()!.bytes.length;
    }
    this.pendingCount = 0;
  }

  /** A replica passing its primary's events on to its own replicas: those of the batch at seq. */
  forward(seq: number, bytes: Buffer): void {
    this.push({ seq, bytes });
  }

  /** The encoded events of the batches firstSeq .. lastSeq, or undefined when none are kept. */
  take(firstSeq: number, lastSeq: number): Buffer | undefined {
    if (this.entries.length === this.head) return undefined;
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.seq < firstSeq) low = middle + 1;
      else high = middle;
    }
    const found: Buffer[] = [];
    const settledEnd = this.entries.length - this.pendingCount;
    for (let index = low; index < settledEnd && this.entries[index]!.seq <= lastSeq; index++) found.push(this.entries[index]!.bytes);
    if (found.length === 0) return undefined;
    return found.length === 1 ? found[0] : Buffer.concat(found);
  }

  /** Drops the events of batches up to seq (every attached replica was sent them). */
  dropThrough(seq: number): void {
    while (this.head < this.entries.length - this.pendingCount && this.entries[this.head]!.seq <= seq) this.dropOldest();
    this.compact();
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    this.pendingCount = 0;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  private push(entry: Entry): void {
    this.entries.push(entry);
    this.bytes += entry.bytes.length;
    while (this.bytes > KEYSPACE_EVENT_LOG_BYTES_MAX && this.head < this.entries.length - this.pendingCount) this.dropOldest();
    this.compact();
  }

  private dropOldest(): void {
    this.bytes -= this.entries[this.head]!.bytes.length;
    this.head++;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

export function encodeEvent(type: number, event: string, key: Buffer, db: number): Buffer {
  const nameBytes = Buffer.byteLength(event, 'latin1');
  assert.ok(nameBytes <= 0xff, 'an event name fits its length byte');
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + nameBytes + KEY_LENGTH_BYTES + key.length);
  bytes.writeUInt32LE(type, 0);
  bytes.writeUInt16LE(db, 4);
  bytes[6] = nameBytes;
  bytes.write(event, HEADER_BYTES, 'latin1');
  bytes.writeUInt32LE(key.length, HEADER_BYTES + nameBytes);
  key.copy(bytes, HEADER_BYTES + nameBytes + KEY_LENGTH_BYTES);
  return bytes;
}

/** The events of one WAL frame; throws on bytes that do not parse (the link ends, as for a bad frame). */
export function decodeEvents(bytes: Buffer): KeyspaceEvent[] {
  const events: KeyspaceEvent[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + HEADER_BYTES > bytes.length) throw new Error('keyspace events cut short');
    const type = bytes.readUInt32LE(offset);
    const db = bytes.readUInt16LE(offset + 4);
    const nameEnd = offset + HEADER_BYTES + bytes[offset + 6]!;
    if (nameEnd + KEY_LENGTH_BYTES > bytes.length) throw new Error('keyspace events cut short');
    const keyEnd = nameEnd + KEY_LENGTH_BYTES + bytes.readUInt32LE(nameEnd);
    if (keyEnd > bytes.length) throw new Error('keyspace events cut short');
    events.push({ type, db, event: bytes.toString('latin1', offset + HEADER_BYTES, nameEnd), key: bytes.subarray(nameEnd + KEY_LENGTH_BYTES, keyEnd) });
    offset = keyEnd;
  }
  return events;
}
