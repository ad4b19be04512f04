// src/keyspace/walks.ts: the keyspace's range walks: over one namespace (SCAN pages, KEYS,
// RANDOMKEY) on the staged overlay so a command sees its own writes, and over the expiry index.
// Keys inside a namespace are in position order (slot, then hash: layout.ts), so a SCAN cursor is
// the position of the next key to examine.
// Invariants:
// - Only live keys come out: expired ones (expireAtMs <= now, the engine's rule) never do.
// - A page never ends between two keys with the same position, so a cursor never lands inside a
//   run of colliding keys and every key present for a whole scan is returned at least once.
import type { Engine } from '../../storage/index.js';
import {
  METADATA_KEY_HEADER_BYTES, NAMESPACE_BYTES, TTL_PREFIX, decodeRecord, expireAtOfValue, metadataKeyAt, namespaceStart,
  positionOf, readU64BE, ttlKeyBound, userKeyOf, type KeyRecord,
} from './layout.js';
import type { StagedOverlay } from './overlay.js';
import { SLOT_COUNT, slotStartPosition } from './slot.js';

/** A SCAN filter (MATCH, TYPE): sees the key and its metadata value (type at byte 0). */
export type KeyFilter = (key: Buffer, value: Buffer) => boolean;

export function isExpired(expireAtMs: number, nowMs: number): boolean {
  return expireAtMs !== 0 && expireAtMs <= nowMs;
}

/** Whether metadata keys a and b have the same position (bytes 4 .. 12), without a BigInt. */
function samePosition(a: Buffer, b: Buffer): boolean {
  for (let index = NAMESPACE_BYTES; index < METADATA_KEY_HEADER_BYTES; index++) if (a[index] !== b[index]) return false;
  return true;
}

function isZeroPosition(key: Buffer): boolean {
  for (let index = NAMESPACE_BYTES; index < METADATA_KEY_HEADER_BYTES; index++) if (key[index] !== 0) return false;
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
  const start = metadataKeyAt(namespace, cursor);
  const end = namespaceStart(namespace + 1);
  // Fast path: nothing staged in the range, so one engine page (an array, no generator) serves.
  const page = overlay.enginePage(start, end, countHint + PAGE_SLACK_ITEMS);
  if (page !== undefined) {
    const keys: Buffer[] = [];
    const { items } = page;
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      const key = item.key;
      if (index >= countHint && !samePosition(key, items[index - 1]!.key) && !isZeroPosition(key)) return { next: positionOf(key), keys };
      if (isExpired(expireAtOfValue(item.value), now)) continue;
      const userKey = userKeyOf(key);
      if (filter === undefined || filter(userKey, item.value)) keys.push(userKey);
    }
    if (!page.more) return { next: 0n, keys };
    // the page's last keys share one position (or position 0) past the slack: walk it the general way
  }
  const keys: Buffer[] = [];
  let examined = 0;
  let last: Buffer | undefined;
  for (const entry of overlay.entries(start, end)) {
    const key = entry.key;
    if (examined >= countHint && !samePosition(key, last!) && !isZeroPosition(key)) return { next: positionOf(key), keys };
    examined++;
    last = key;
    if (isExpired(expireAtOfValue(entry.value), now)) continue;
    const userKey = userKeyOf(key);
    if (filter === undefined || filter(userKey, entry.value)) keys.push(userKey);
  }
  return { next: 0n, keys };
}

export function* walkNamespace(overlay: StagedOverlay, namespace: number, now: number): Generator<{ key: Buffer; record: KeyRecord }> {
  for (const entry of overlay.entries(namespaceStart(namespace), namespaceStart(namespace + 1))) {
    const record = decodeRecord(entry.value);
    if (!isExpired(record.expireAtMs, now)) yield { key: userKeyOf(entry.key), record };
  }
}

/** The metadata keys of one hash slot of namespace: [start, end) (a slot is one range, slot.ts). */
function slotBounds(namespace: number, slot: number): [Buffer, Buffer] {
  const start = metadataKeyAt(namespace, slotStartPosition(slot));
  return [start, slot + 1 < SLOT_COUNT ? metadataKeyAt(namespace, slotStartPosition(slot + 1)) : namespaceStart(namespace + 1)];
}

/**
 * Live keys of one hash slot, in position order, at most countMax of them (CLUSTER
 * GETKEYSINSLOT); with collect false, only counted (COUNTKEYSINSLOT). A walk of that slot only.
 */
export function slotKeys(overlay: StagedOverlay, namespace: number, slot: number, now: number, countMax: number, collect = true): { count: number; keys: Buffer[] } {
  const keys: Buffer[] = [];
  let count = 0;
  if (countMax <= 0) return { count, keys };
  const [start, end] = slotBounds(namespace, slot);
  for (const entry of overlay.entries(start, end)) {
    if (isExpired(expireAtOfValue(entry.value), now)) continue;
    if (collect) keys.push(userKeyOf(entry.key));
    if (++count >= countMax) break;
  }
  return { count, keys };
}

/** The first live key at or after a random position, wrapping around once. */
export function randomNamespaceKey(overlay: StagedOverlay, namespace: number, now: number): Buffer | undefined {
  const random = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  const middle = metadataKeyAt(namespace, random);
  for (const [start, end] of [[middle, namespaceStart(namespace + 1)], [namespaceStart(namespace), middle]] as const) {
    for (const entry of overlay.entries(start, end)) {
      if (!isExpired(expireAtOfValue(entry.value), now)) return userKeyOf(entry.key);
    }
  }
  return undefined;
}

/** Up to budget expiry-index entries due by now, after cursor (or from the oldest when undefined). */
export function dueExpiryEntries(engine: Engine, cursor: Buffer | undefined, now: number, budget: number): { key: Buffer; version: number }[] {
  const end = ttlKeyBound(now);
  const due: { key: Buffer; version: number }[] = [];
  for (const item of engine.scan(cursor === undefined ? { start: TTL_PREFIX, end } : { after: cursor, end })) {
    if (due.length >= budget) break;
    due.push({ key: item.key, version: item.value.length === 8 ? readU64BE(item.value, 0) : 0 });
  }
  return due;
}
