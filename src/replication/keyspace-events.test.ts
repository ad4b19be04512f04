// src/replication/keyspace-events.test.ts: the primary's log of keyspace events for its replicas:
// events are filed under the batch their writes commit as, dropped when those writes are
// discarded, renamed as Redis propagates them, bounded in bytes; the encoding round-trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEYSPACE_EVENT } from '../ops/config-values.js';
import { decodeEvents, encodeEvent, KEYSPACE_EVENT_LOG_BYTES_MAX, KeyspaceEventLog } from './keyspace-events.js';

function names(bytes: Buffer | undefined): string[] {
  return bytes === undefined ? [] : decodeEvents(bytes).map(({ event, key, db }) => `${db}:${event}:${key.toString('latin1')}`);
}

describe('KeyspaceEventLog', () => {
  it('files events under the batch they commit as and drops those of discarded writes', () => {
    let next = 1;
    const log = new KeyspaceEventLog(() => next);
    log.record(KEYSPACE_EVENT.string, 'set', Buffer.from('a'), 0);
    expect(log.take(1, 1)).toBeUndefined(); // pending: not committed yet
    log.settled(true);
    next = 3; // the batch took sequence numbers 1 and 2
    log.record(KEYSPACE_EVENT.list, 'lpush', Buffer.from('gone'), 0);
    log.settled(false); // discarded: never committed
    log.record(KEYSPACE_EVENT.hash, 'hset', Buffer.from('b'), 2);
    log.settled(true);
    expect(names(log.take(1, 2))).toEqual(['0:set:a']);
    expect(names(log.take(3, 3))).toEqual(['2:hset:b']);
    expect(names(log.take(1, 10))).toEqual(['0:set:a', '2:hset:b']);
    expect(log.take(4, 10)).toBeUndefined();
  });

  it('drops the events of batches every replica was sent, never pending ones', () => {
    let next = 1;
    const log = new KeyspaceEventLog(() => next);
    for (; next <= 3; next++) {
      log.record(KEYSPACE_EVENT.string, 'set', Buffer.from(`k${next}`), 0);
      log.settled(true);
    }
    log.record(KEYSPACE_EVENT.string, 'set', Buffer.from('pending'), 0);
    log.dropThrough(10);
    expect(log.take(1, 3)).toBeUndefined();
    log.settled(true);
    expect(names(log.take(4, 4))).toEqual(['0:set:pending']);
  });

  it('records the event a replica fires for what Redis propagates', () => {
    const log = new KeyspaceEventLog(() => 1);
    log.record(KEYSPACE_EVENT.expired, 'expired', Buffer.from('a'), 0);
    log.record(KEYSPACE_EVENT.set, 'spop', Buffer.from('b'), 0);
    log.record(KEYSPACE_EVENT.string, 'incrbyfloat', Buffer.from('c'), 0);
    log.record(KEYSPACE_EVENT.hash, 'hincrbyfloat', Buffer.from('d'), 0);
    log.settled(true);
    const events = decodeEvents(log.take(1, 1)!);
    expect(events.map(({ type, event }) => [type, event])).toEqual([
      [KEYSPACE_EVENT.generic, 'del'], [KEYSPACE_EVENT.set, 'srem'], [KEYSPACE_EVENT.string, 'set'], [KEYSPACE_EVENT.hash, 'hset'],
    ]);
  });

  it('keeps at most its bound, dropping the oldest batches first', () => {
    let next = 1;
    const log = new KeyspaceEventLog(() => next);
    const key = Buffer.alloc(64 * 1024, 1);
    const batches = Math.ceil((2 * KEYSPACE_EVENT_LOG_BYTES_MAX) / key.length);
    for (; next <= batches; next++) {
      log.record(KEYSPACE_EVENT.string, 'set', key, 0);
      log.settled(true);
    }
    expect(log.sizeBytes).toBeLessThanOrEqual(KEYSPACE_EVENT_LOG_BYTES_MAX);
    expect(log.take(1, 1)).toBeUndefined();
    expect(names(log.take(batches, batches))).toHaveLength(1);
  });

  it('decodes what it encodes and refuses bytes cut short', () => {
    const event = fc.record({ type: fc.integer({ min: 0, max: 0xffff }), db: fc.integer({ min: 0, max: 15 }), event: fc.string({ maxLength: 20 }), key: fc.uint8Array({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const ascii = events.map((one) => ({ ...one, event: one.event.replace(/[^\x20-\x7e]/g, 'x'), key: Buffer.from(one.key) }));
        const bytes = Buffer.concat(ascii.map((one) => encodeEvent(one.type, one.event, one.key, one.db)));
        expect(decodeEvents(bytes)).toEqual(ascii);
        if (bytes.length > 0) expect(() => decodeEvents(bytes.subarray(0, bytes.length - 1))).toThrow(/cut short/);
      }),
    );
  });
});
