// src/keyspace-overlay.ts: the writes a command has staged but not yet committed, laid over the
// engine so the command (or the rest of its EXEC) reads its own writes: point lookups and range
// walks both see staged puts and hide staged deletes.
// Invariants:
// - At most one staged op per engine key (the last one wins), so a batch never names a key twice.
// - Staged keys and values are never mutated after staging (the engine copies them on write).
import type { Engine, WriteOp } from '../storage/index.js';

export interface Stored {
  value: Buffer;
  expireAtMs: number;
}

export interface StoredEntry extends Stored {
  key: Buffer;
}

interface StagedOp {
  key: Buffer;
  value: Buffer | undefined; // undefined = delete
  expireAtMs: number;
}

export class StagedOverlay {
  private readonly ops = new Map<string, StagedOp>();

  constructor(private readonly engine: Engine) {}

  get size(): number {
    return this.ops.size;
  }

  /** The newest version of key, staged or in the engine, expired ones included. */
  lookup(key: Buffer): Stored | undefined {
    if (this.ops.size > 0) {
      const op = this.ops.get(key.toString('latin1'));
      if (op !== undefined) return op.value === undefined ? undefined : (op as Stored);
    }
    return this.engine.getEntry(key, { includeExpired: true });
  }

  put(key: Buffer, value: Buffer, expireAtMs: number): void {
    this.ops.set(key.toString('latin1'), { key, value, expireAtMs });
  }

  delete(key: Buffer): void {
    this.ops.set(key.toString('latin1'), { key, value: undefined, expireAtMs: 0 });
  }

  toWriteOps(): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const op of this.ops.values()) {
      ops.push(op.value === undefined ? { kind: 'delete', key: op.key } : { kind: 'put', key: op.key, value: op.value, expireAtMs: op.expireAtMs });
    }
    return ops;
  }

  clear(): void {
    this.ops.clear();
  }

  /** Engine items in [start, end), live at the scan's start, merged with the staged ops there. */
  *entries(start: Buffer, end: Buffer): Generator<StoredEntry> {
    const overlay = this.between(start, end);
    let next = 0;
    for (const item of this.engine.scan({ start, end })) {
      while (next < overlay.length && Buffer.compare(overlay[next]!.key, item.key) < 0) {
        const op = overlay[next++]!;
        if (op.value !== undefined) yield op as StoredEntry;
      }
      if (next < overlay.length && overlay[next]!.key.equals(item.key)) {
        const op = overlay[next++]!;
        if (op.value !== undefined) yield op as StoredEntry;
        continue;
      }
      yield { key: item.key, value: item.value, expireAtMs: item.expireAtMs ?? 0 };
    }
    for (; next < overlay.length; next++) {
      const op = overlay[next]!;
      if (op.value !== undefined) yield op as StoredEntry;
    }
  }

  private between(start: Buffer, end: Buffer): StagedOp[] {
    if (this.ops.size === 0) return [];
    const inside: StagedOp[] = [];
    for (const op of this.ops.values()) {
      if (Buffer.compare(op.key, start) >= 0 && Buffer.compare(op.key, end) < 0) inside.push(op);
    }
    return inside.sort((a, b) => Buffer.compare(a.key, b.key));
  }
}
