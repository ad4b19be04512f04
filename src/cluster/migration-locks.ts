// src/cluster/migration-locks.ts: the keys a MIGRATE is moving right now. MIGRATE serializes a
// key, sends it to the target and deletes it here only after the target has it durably, and the
// delete is durable too; meanwhile commands naming the key are refused with TRYAGAIN (routing.ts),
// so no write lands on a copy about to be deleted and no read sees the key on two nodes.
// Invariants:
// - A key is locked by at most one MIGRATE (lock() refuses a key already locked).
// - Every lock() is paired with an unlock() of the same keys when the MIGRATE settles, whatever
//   happened (migrate.ts calls it in a finally).
export class MigrationLocks {
  private readonly keys = new Set<string>(); // db:latin1 key

  get size(): number {
    return this.keys.size;
  }

  has(db: number, key: Buffer): boolean {
    return this.keys.size > 0 && this.keys.has(lockId(db, key));
  }

  /** Locks every key, or none when one of them is locked already (returns false). */
  lock(db: number, keys: readonly Buffer[]): boolean {
    const ids = keys.map((key) => lockId(db, key));
    if (ids.some((id) => this.keys.has(id))) return false;
    for (const id of ids) this.keys.add(id);
    return true;
  }

  unlock(db: number, keys: readonly Buffer[]): void {
    for (const key of keys) this.keys.delete(lockId(db, key));
  }
}

function lockId(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}
