// src/keyspace-walks.ts: the keyspace's range walks: over one namespace (SCAN pages, KEYS,
// RANDOMKEY) on the staged overlay so a command sees its own writes, and over the expiry index.
// Keys inside a namespace are in hash order (keyspace-layout.ts), so a SCAN cursor is the hash
// position of the next key to examine.
// Invariants:
// - Only live keys come out: expired ones (expireAtMs <= now, the engine's rule) never do.
// - A page never ends between two keys with the same hash, so a cursor never lands inside a run of
//   colliding keys and every key present for a whole scan is returned at least once.
import type { Engine } from '../../storage/index.js';
import { DATA_KEY_HEADER_BYTES, NAMESPACE_BYTES, TTL_PREFIX, dataKeyAtHash, hashOf, namespaceStart, ttlKeyBound, userKeyOf } from './layout.js';
import type { StagedOverlay, Stored } from './overlay.js';

export interface KeyRecord {
  type: number;
  payload: Buffer;
  expireAtMs: number; // 0 = no TTL
}

export type KeyFilter = (key: Buffer, record: KeyRecord) => boolean;

export function isExpired(expireAtMs: number, nowMs: number): boolean {
  return expireAtMs !== 0 && expireAtMs <= nowMs;
}

export function decodeRecord(stored: Stored): KeyRecord {
  return { type: stored.value[0] as number, payload: stored.value.subarray(1), expireAtMs: stored.expireAtMs };
}

/** Whether data keys a and b have the same hash (bytes 4 .. 12), without a BigInt. */
function sameHash(a: Buffer, b: Buffer): boolean {
  for (let index = NAMESPACE_BYTES; index < DATA_KEY_HEADER_BYTES; index++) if (a[index] !== b[index]) return false;
  return true;
}

function isZeroHash(key: Buffer): boolean {
  for (let index = NAMESPACE_BYTES; index < DATA_KEY_HEADER_BYTES; index++) if (key[index] !== 0) return false;
  return true;
}

/**
 * Items read past countHint in one engine page, to find where the page ends: the first of them
 * does unless it shares the previous key's hash (a 64-bit collision) or has hash 0, and then the
 * general walk below takes over. Each one is a key decoded and dropped, so keep it small.
 */
const PAGE_SLACK_ITEMS = 1;

export function scanNamespacePage(
  overlay: StagedOverlay, namespace: number, cursor: bigint, countHint: number, now: number, filter: KeyFilter | undefined,
): { next: bigint; keys: Buffer[] } {
  const start = dataKeyAtHash(namespace, cursor);
  const end = namespaceStart(namespace + 1);
  // Fast path: nothing staged in the range, so one engine page (an array, no generator) serves.
  const page = overlay.enginePage(start, end, countHint + PAGE_SLACK_ITEMS);
  if (page !== undefined) {
    const keys: Buffer[] = [];
    const { items } = page;
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      const key = item.key;
      if (index >= countHint && !sameHash(key, items[index - 1]!.key) && !isZeroHash(key)) return { next: hashOf(key), keys };
      const expireAtMs = item.expireAtMs ?? 0;
      if (isExpired(expireAtMs, now)) continue;
      const userKey = userKeyOf(key);
      if (filter === undefined || filter(userKey, decodeRecord({ value: item.value, expireAtMs }))) keys.push(userKey);
    }
    if (!page.more) return { next: 0n, keys };
    // the page's last keys share one hash (or hash 0) past the slack: walk it the general way
  }
  const keys: Buffer[] = [];
  let examined = 0;
  let last: Buffer | undefined;
  for (const entry of overlay.entries(start, end)) {
    const key = entry.key;
    if (examined >= countHint && !sameHash(key, last!) && !isZeroHash(key)) return { next: hashOf(key), keys };
    examined++;
    last = key;
    if (isExpired(entry.expireAtMs, now)) continue;
    const userKey = userKeyOf(key);
    if (filter === undefined || filter(userKey, decodeRecord(entry))) keys.push(userKey);
  }
  return { next: 0n, keys };
}

export function* walkNamespace(overlay: StagedOverlay, namespace: number, now: number): Generator<{ key: Buffer; record: KeyRecord }> {
  for (const entry of overlay.entries(namespaceStart(namespace), namespaceStart(namespace + 1))) {
    if (!isExpired(entry.expireAtMs, now)) yield { key: userKeyOf(entry.key), record: decodeRecord(entry) };
  }
}

/** The first live key at or after a random hash position, wrapping around once. */
export function randomNamespaceKey(overlay: StagedOverlay, namespace: number, now: number): Buffer | undefined {
  const random = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  const middle = dataKeyAtHash(namespace, random);
  for (const [start, end] of [[middle, namespaceStart(namespace + 1)], [namespaceStart(namespace), middle]] as const) {
    for (const entry of overlay.entries(start, end)) {
      if (!isExpired(entry.expireAtMs, now)) return userKeyOf(entry.key);
    }
  }
  return undefined;
}

/** Up to budget expiry-index keys due by now, after cursor (or from the oldest when undefined). */
export function dueExpiryEntries(engine: Engine, cursor: Buffer | undefined, now: number, budget: number): Buffer[] {
  const end = ttlKeyBound(now);
  const due: Buffer[] = [];
  for (const item of engine.scan(cursor === undefined ? { start: TTL_PREFIX, end } : { after: cursor, end })) {
    if (due.length >= budget) break;
    due.push(item.key);
  }
  return due;
}
