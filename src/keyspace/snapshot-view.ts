// src/keyspace/snapshot-view.ts: element reads as of one engine snapshot (storage/snapshot.ts), for
// a reply streamed over many event-loop turns: what a type module reads through ElementReader
// comes from the point in time the command ran, whatever other clients write meanwhile.
// Invariants:
// - Taken inside a command, with nothing of that command's elements staged (a read command stages
//   at most lazy-expiry deletes of metadata): the view then reads exactly what the command's own
//   reads through the keyspace saw.
// - release() (idempotent) frees the engine's pin; the owner (the streamed reply) calls it when
//   the reply ends or its client goes.
import type { EngineSnapshot, ScanItem } from '../../storage/index.js';
import type { Keyspace } from './keyspace.js';
import type { StoredEntry } from './overlay.js';

/** The element reads of Keyspace, which a KeyspaceSnapshotView offers too. */
export type ElementReader = Pick<Keyspace, 'element' | 'elements' | 'elementsPage'>;

export class KeyspaceSnapshotView implements ElementReader {
  constructor(private readonly snapshot: EngineSnapshot) {}

  element(key: Buffer): Buffer | undefined {
    return this.snapshot.getEntry(key)?.value;
  }

  *elements(start: Buffer, end: Buffer): Generator<StoredEntry> {
    for (const item of this.snapshot.scan({ start, end })) yield { key: item.key, value: item.value, expireAtMs: item.expireAtMs ?? 0 };
  }

  elementsPage(start: Buffer, end: Buffer, limit: number, askMore = true): { items: ScanItem[]; more: boolean } {
    return this.snapshot.scanPage({ start, end }, limit, askMore);
  }

  release(): void {
    this.snapshot.release();
  }
}
