// src/keyspace/migrate.ts: opens data written by tskv 0.1.0 (layout 1) by rewriting it into
// layout 2 (layout.ts) once, at open, before anything else reads the keyspace.
// Layout 1, as 0.1.0 wrote it:
//   data key [ns u32][hash64(userKey) u64][userKey] -> [type u8 = 1 string][payload], the expiry
//            in the engine entry's expireAtMs
//   meta     [0,0,0,0] 'dbmap' | 'count' [ns] (u64 keys, u64 expires) | 'dead' [ns] | 'ttl' [at][data key]
// How: each database's live keys are copied, in batches, into a fresh namespace (ids past the
// old map's next one), as layout-2 metadata with their 'ttl' entries and counts; a last batch
// points the dbmap at the fresh namespaces, marks the old ones dead (compaction reclaims them and
// their 'ttl' entries) and writes 'layout'. Then the engine is flushed, so the result is durable
// whatever the sync policy.
// Invariants:
// - Crash-safe: every batch carries the progress ('migrate': database, last old key copied, the
//   fresh namespaces and their counts so far), so a crash resumes where the last durable batch
//   ended; until the last batch, the old namespaces are untouched and the dbmap names them.
// - Keys expired at migration time are not copied (no read could see them).
// - Layout 1 has strings only; any other type byte refuses the open (MigrationError).
import type { Engine, WriteOp } from '../../storage/index.js';
import {
  COUNT_PREFIX, DATABASE_COUNT, DBMAP_KEY, DEAD_PREFIX, ELEMENT_NAMESPACE, KEY_TYPE, LAYOUT_KEY, LAYOUT_VERSION,
  MIGRATE_KEY, decodeDatabaseMap, encodeCounts, encodeDatabaseMap, encodeRecord, encodeVersion,
  metadataKey, namespaceKey, namespaceStart, prefixEnd, ttlKey, type NamespaceCounts,
} from './layout.js';

/** Old keys copied per batch, at most; and old key + value bytes per batch, at most. */
export const MIGRATE_BATCH_KEYS_MAX = 2_000;
export const MIGRATE_BATCH_BYTES_MAX = 4 * 1024 * 1024;
const LAYOUT_1_HEADER_BYTES = 12; // [ns u32][hash64 u64]

export class MigrationError extends Error {
  override name = 'MigrationError';
  readonly code = 'ERR_KEYSPACE_MIGRATION';
}

interface Progress {
  db: number; // the database being copied
  after: string | null; // hex of the last old key copied in db, null: none yet
  old: number[]; // db -> old namespace
  fresh: number[]; // db -> fresh namespace
  nextNamespace: number; // the dbmap's next namespace once done
  counts: { keys: number; expires: number; expireAtSumMs: string }[]; // per db, of the fresh namespace
}

type Log = (message: string, fields: Record<string, unknown>) => void;

/** Whether the engine holds layout-1 data (or an unfinished migration) and no 'layout' entry. */
export function needsMigration(engine: Engine): boolean {
  if (engine.getEntry(LAYOUT_KEY) !== undefined) return false;
  if (engine.getEntry(MIGRATE_KEY) !== undefined || engine.getEntry(DBMAP_KEY) !== undefined) return true;
  const countEntries = engine.scanPage({ start: COUNT_PREFIX, end: prefixEnd(COUNT_PREFIX) }, 1);
  if (countEntries.items.length > 0) return true;
  return engine.scanPage({ start: namespaceStart(1), end: namespaceStart(ELEMENT_NAMESPACE) }, 1).items.length > 0;
}

export async function migrateIfNeeded(engine: Engine, log: Log): Promise<void> {
  if (!needsMigration(engine)) return;
  const startedMs = Date.now();
  const stored = engine.getEntry(MIGRATE_KEY)?.value;
  const progress = stored === undefined ? startProgress(engine) : (JSON.parse(stored.toString('utf8')) as Progress);
  log(stored === undefined ? 'migrating data written by tskv 0.1.0 to keyspace layout 2' : 'resuming the migration to keyspace layout 2', { db: progress.db });
  let copied = 0;
  while (progress.db < DATABASE_COUNT) {
    const batch = copyBatch(engine, progress);
    copied += batch.copied;
    if (batch.done) {
      progress.db++;
      progress.after = null;
    }
    await engine.write([...batch.ops, ...progressOps(progress)]);
  }
  await engine.write(finishOps(progress));
  await engine.flush();
  log('migrated to keyspace layout 2', { keys: copied, ms: Date.now() - startedMs });
}

function startProgress(engine: Engine): Progress {
  const map = decodeDatabaseMap(engine.getEntry(DBMAP_KEY)?.value);
  const fresh = map.namespaces.map((_, db) => map.nextNamespace + db);
  return {
    db: 0, after: null, old: map.namespaces, fresh, nextNamespace: map.nextNamespace + DATABASE_COUNT,
    counts: fresh.map(() => ({ keys: 0, expires: 0, expireAtSumMs: '0' })),
  };
}

/** Copies the next batch of db's old keys; done when the old namespace has no more. */
function copyBatch(engine: Engine, progress: Progress): { ops: WriteOp[]; copied: number; done: boolean } {
  const db = progress.db;
  const oldNamespace = progress.old[db]!;
  const freshNamespace = progress.fresh[db]!;
  const counts = progress.counts[db]!;
  const end = namespaceStart(oldNamespace + 1);
  const range = progress.after === null ? { start: namespaceStart(oldNamespace), end } : { after: Buffer.from(progress.after, 'hex'), end };
  const ops: WriteOp[] = [];
  let bytes = 0;
  let copied = 0;
  for (const item of engine.scan(range)) {
    if (copied >= MIGRATE_BATCH_KEYS_MAX || bytes >= MIGRATE_BATCH_BYTES_MAX) return { ops, copied, done: false };
    const type = item.value[0];
    if (type !== KEY_TYPE.string) throw new MigrationError(`a layout-1 key holds type ${String(type)}; 0.1.0 wrote strings only`);
    const userKey = item.key.subarray(LAYOUT_1_HEADER_BYTES);
    const expireAtMs = item.expireAtMs ?? 0;
    const key = metadataKey(freshNamespace, userKey);
    ops.push({ kind: 'put', key, value: encodeRecord({ type: KEY_TYPE.string, encoding: 0, expireAtMs, version: 0, count: 0, payload: item.value.subarray(1) }) });
    if (expireAtMs !== 0) {
      ops.push({ kind: 'put', key: ttlKey(expireAtMs, key), value: encodeVersion(0) });
      counts.expires++;
      counts.expireAtSumMs = (BigInt(counts.expireAtSumMs) + BigInt(expireAtMs)).toString();
    }
    counts.keys++;
    copied++;
    bytes += item.key.length + item.value.length;
    progress.after = item.key.toString('hex');
  }
  return { ops, copied, done: true };
}

function decodeProgressCounts(counts: Progress['counts'][number]): NamespaceCounts {
  return { keys: counts.keys, expires: counts.expires, expireAtSumMs: BigInt(counts.expireAtSumMs), series: 0, samples: 0 };
}

function progressOps(progress: Progress): WriteOp[] {
  const ops: WriteOp[] = [{ kind: 'put', key: MIGRATE_KEY, value: Buffer.from(JSON.stringify(progress), 'utf8') }];
  const db = Math.min(progress.db, DATABASE_COUNT - 1);
  for (const index of new Set([db, Math.max(0, progress.db - 1)])) {
    ops.push({ kind: 'put', key: namespaceKey(COUNT_PREFIX, progress.fresh[index]!), value: encodeCounts(decodeProgressCounts(progress.counts[index]!)) });
  }
  return ops;
}

function finishOps(progress: Progress): WriteOp[] {
  const ops: WriteOp[] = [
    { kind: 'put', key: DBMAP_KEY, value: encodeDatabaseMap({ namespaces: progress.fresh, nextNamespace: progress.nextNamespace }) },
  ];
  for (const old of progress.old) {
    ops.push({ kind: 'put', key: namespaceKey(DEAD_PREFIX, old), value: Buffer.alloc(0) });
    ops.push({ kind: 'delete', key: namespaceKey(COUNT_PREFIX, old) });
  }
  const layout = Buffer.allocUnsafe(4);
  layout.writeUInt32BE(LAYOUT_VERSION, 0);
  ops.push({ kind: 'put', key: LAYOUT_KEY, value: layout });
  ops.push({ kind: 'delete', key: MIGRATE_KEY });
  return ops;
}

