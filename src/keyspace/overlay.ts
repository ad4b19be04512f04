// src/keyspace/overlay.ts: the writes a command has staged but not yet committed, laid over the
// engine so the command (or the rest of its EXEC) reads its own writes: point lookups and range
// walks both see staged puts and hide staged deletes.
// Invariants:
// - At most one staged op per engine key (the last one wins, in the slot of the first), so a
//   batch never names a key twice. The ops are WriteOps, handed to engine.write as they are.
// - Staged keys and values are never mutated after staging (the engine copies them on write).
// - `version` changes with every put, delete and clear: a lookup result remembered under one
//   version is still the newest version of its key while `version` is unchanged (the engine
//   changes only through commits of this overlay).
// Cost: a command stages a handful of ops, found by a linear scan; past INDEX_OPS_MIN ops (EXEC,
// MSET, FLUSHALL, a TS.MADD of many samples) a Map from a hash of the key's bytes finds them (no
// string per key: a latin1 string per staged op was ~3 % of a TS.MADD server), ops of one hash
// chained through sameHashBefore. A range walk past SORTED_OPS_MIN
// staged ops reads a slot list kept sorted by key (binary search) plus the slots staged since it
// was sorted, merged in once they pass an eighth of it: a job that stages many ops and walks
// between them (the time series sealer, RESTORE, MSET-then-SCAN in an EXEC) stays n log n.
import type { Engine, ScanItem, ValuePage, WriteOp } from '../../storage/index.js';

export interface Stored {
  value: Buffer;
  expireAtMs: number;
}

export interface StoredEntry extends Stored {
  key: Buffer;
}

interface StagedPut {
  kind: 'put';
  key: Buffer;
  value: Buffer;
  expireAtMs: number;
}
type StagedOp = StagedPut | { kind: 'delete'; key: Buffer };

/** Staged ops past this count are indexed by a Map; below it a scan is cheaper than hashing. */
export const INDEX_OPS_MIN = 8;
/** Staged ops past this count are walked through a key-sorted slot list, not a filter and sort. */
export const SORTED_OPS_MIN = 64;
const INCLUDE_EXPIRED = { includeExpired: true } as const;

/** FNV-1a over key's bytes: the index's Map key (collisions are chained, so any spread will do). */
function keyHash(key: Buffer): number {
  let hash = 0x811c9dc5 ^ key.length;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key[index]!, 0x01000193);
  return hash;
}

/** Whether two keys hold the same bytes (a JS loop beats the native call for short keys). */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  if (length > 64) return a.equals(b);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return false;
  return true;
}

export class StagedOverlay {
  private ops: StagedOp[] = [];
  private index: Map<number, number> | undefined = undefined; // keyHash -> the newest slot of that hash, past INDEX_OPS_MIN ops
  private sameHashBefore: number[] = []; // slot -> the previous slot whose key has its hash, or -1
  private sorted: number[] | undefined = undefined; // slots below sortedCount, by key (range walks, past SORTED_OPS_MIN)
  private sortedCount = 0;
  private changes = 0;

  constructor(private readonly engine: Engine) {}

  get size(): number {
    return this.ops.length;
  }

  /** Changes with every put, delete and clear (see the invariants). */
  get version(): number {
    return this.changes;
  }

  /** The newest version of key, staged or in the engine, expired ones included. */
  lookup(key: Buffer): Stored | undefined {
    if (this.ops.length > 0) {
      const slot = this.slotOf(key);
      if (slot >= 0) {
        const op = this.ops[slot]!;
        return op.kind === 'put' ? op : undefined;
      }
    }
    return this.engine.getEntry(key, INCLUDE_EXPIRED);
  }

  put(key: Buffer, value: Buffer, expireAtMs: number): void {
    this.place({ kind: 'put', key, value, expireAtMs });
  }

  delete(key: Buffer): void {
    this.place({ kind: 'delete', key });
  }

  /** The staged ops, in staging order, for one engine.write; the overlay is empty afterwards. */
  takeWriteOps(): WriteOp[] {
    const ops: WriteOp[] = this.ops;
    this.clear();
    return ops;
  }

  clear(): void {
    this.changes++;
    if (this.ops.length === 0) return;
    this.ops = [];
    this.index = undefined;
    this.sameHashBefore = [];
    this.sorted = undefined;
    this.sortedCount = 0;
  }

  /**
   * When no op is staged in [start, end): up to limit engine items there (live at one point in
   * time) and whether more remain; undefined when some op is staged there (use entries()).
   */
  enginePage(start: Buffer, end: Buffer, limit: number, askMore = true): { items: ScanItem[]; more: boolean } | undefined {
    if (this.ops.length > 0 && this.between(start, end).length > 0) return undefined;
    return this.engine.scanPage({ start, end }, limit, askMore);
  }

  /**
   * When no op is staged in [start, end): up to limit engine values there into page and true, if
   * at most one engine source holds keys there (Engine.valuesPage); false otherwise.
   */
  engineValues(start: Buffer, end: Buffer, limit: number, page: ValuePage, keysMax?: number): boolean {
    if (this.ops.length > 0 && this.between(start, end).length > 0) return false;
    return this.engine.valuesPage(start, end, limit, page, keysMax);
  }

  /** Engine items in [start, end), live at the scan's start, merged with the staged ops there. */
  *entries(start: Buffer, end: Buffer): Generator<StoredEntry> {
    const overlay = this.between(start, end);
    let next = 0;
    for (const item of this.engine.scan({ start, end })) {
      while (next < overlay.length && Buffer.compare(overlay[next]!.key, item.key) < 0) {
        const op = overlay[next++]!;
        if (op.kind === 'put') yield op;
      }
      if (next < overlay.length && overlay[next]!.key.equals(item.key)) {
        const op = overlay[next++]!;
        if (op.kind === 'put') yield op;
        continue;
      }
      yield { key: item.key, value: item.value, expireAtMs: item.expireAtMs ?? 0 };
    }
    for (; next < overlay.length; next++) {
      const op = overlay[next]!;
      if (op.kind === 'put') yield op;
    }
  }

  private place(op: StagedOp): void {
    this.changes++;
    const slot = this.ops.length === 0 ? -1 : this.slotOf(op.key);
    if (slot >= 0) {
      this.ops[slot] = op;
      return;
    }
    this.ops.push(op);
    if (this.index !== undefined) this.indexSlot(this.index, this.ops.length - 1);
    else if (this.ops.length > INDEX_OPS_MIN) {
      const index = new Map<number, number>();
      for (let slot = 0; slot < this.ops.length; slot++) this.indexSlot(index, slot);
      this.index = index;
    }
  }

  private indexSlot(index: Map<number, number>, slot: number): void {
    const hash = keyHash(this.ops[slot]!.key);
    this.sameHashBefore[slot] = index.get(hash) ?? -1;
    index.set(hash, slot);
  }

  private slotOf(key: Buffer): number {
    if (this.index !== undefined) {
      for (let slot = this.index.get(keyHash(key)) ?? -1; slot >= 0; slot = this.sameHashBefore[slot]!) if (sameBytes(this.ops[slot]!.key, key)) return slot;
      return -1;
    }
    const ops = this.ops;
    for (let slot = 0; slot < ops.length; slot++) if (sameBytes(ops[slot]!.key, key)) return slot;
    return -1;
  }

  private between(start: Buffer, end: Buffer): StagedOp[] {
    const ops = this.ops;
    if (ops.length === 0) return [];
    const inRange = (op: StagedOp) => Buffer.compare(op.key, start) >= 0 && Buffer.compare(op.key, end) < 0;
    if (ops.length < SORTED_OPS_MIN) return ops.filter(inRange).sort((a, b) => Buffer.compare(a.key, b.key));
    const sorted = this.sortedSlots();
    const inside: StagedOp[] = [];
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (Buffer.compare(ops[sorted[middle]!]!.key, start) < 0) low = middle + 1;
      else high = middle;
    }
    for (let at = low; at < sorted.length; at++) {
      const op = ops[sorted[at]!]!;
      if (Buffer.compare(op.key, end) >= 0) break;
      inside.push(op);
    }
    const recent: StagedOp[] = [];
    for (let slot = this.sortedCount; slot < ops.length; slot++) if (inRange(ops[slot]!)) recent.push(ops[slot]!);
    if (recent.length === 0) return inside;
    return [...inside, ...recent].sort((a, b) => Buffer.compare(a.key, b.key));
  }

  /** The slots by key; re-sorted once the slots staged since pass an eighth of those sorted. */
  private sortedSlots(): number[] {
    const ops = this.ops;
    if (this.sorted === undefined || ops.length - this.sortedCount > Math.max(SORTED_OPS_MIN, this.sortedCount >> 3)) {
      this.sorted = Array.from({ length: ops.length }, (_, slot) => slot).sort((a, b) => Buffer.compare(ops[a]!.key, ops[b]!.key));
      this.sortedCount = ops.length;
    }
    return this.sorted;
  }
}
