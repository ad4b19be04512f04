// test/helpers/reply-compare.ts: how the differential test (test/differential.test.ts) compares a
// reply of redis-server (expected) with tskv's (actual), per kind of command:
// - sameReply: exactly (type byte, bytes, error text), in RESP2 or RESP3;
// - unorderedSame: arrays or RESP3 sets holding the same items, order aside (HKEYS, SMEMBERS...);
// - pairsSame: HGETALL-like replies (a RESP3 map, or a RESP2 flat array of field, value) holding
//   the same pairs, order aside;
// - randomSame: HRANDFIELD / SRANDMEMBER / ZRANDMEMBER / SPOP, whose picks differ between servers: the same
//   shape and length, distinct picks for a positive count, and every element when the count
//   reached the size (Redis then returned fewer than asked); membership is checked apart
//   (randomPicks gives the picks to ask the oracle about);
// - encodingSame: OBJECT ENCODING, exact except where Redis 7.0.15 and tskv (7.2) may disagree
//   (set and list encodings; sorted set encodings are 7.0's and compared exactly).
// - dumpSame: DUMP, strings byte for byte, aggregates by the type their payload holds.
import { formatReply, replyBytes, replyItems, type Reply } from './raw-client.js';

export function sameReply(a: Reply, b: Reply): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'bulk': case 'verbatim': return a.value.equals((b as typeof a).value);
    case 'array': case 'set': case 'push': {
      const other = (b as typeof a).value;
      return a.value.length === other.length && a.value.every((item, i) => sameReply(item, other[i] as Reply));
    }
    case 'map': {
      const other = (b as typeof a).value;
      return a.value.length === other.length &&
        a.value.every(([k, v], i) => sameReply(k, other[i]![0]) && sameReply(v, other[i]![1]));
    }
    case 'simple': case 'error': case 'integer': case 'double': case 'boolean': case 'bignum':
      return a.value === (b as typeof a).value;
    default: return true;
  }
}

const isList = (reply: Reply): boolean => reply.type === 'array' || reply.type === 'set';

/** The distinct string items of an array reply, as sorted hex (KEYS, SCAN, SSCAN pages). */
export function keySet(reply: Reply): string[] {
  return [...new Set(replyItems(reply).map((item) => replyBytes(item).toString('hex')))].sort();
}

export function unorderedSame(expected: Reply, actual: Reply): boolean {
  if (!isList(expected) || expected.type !== actual.type) return sameReply(expected, actual);
  const render = (reply: Reply) => replyItems(reply).map(formatReply).sort().join('\n');
  return render(expected) === render(actual);
}

/** A map, or a flat array of field, value, as sorted "field=value" hex lines (duplicates kept). */
export function pairLines(reply: Reply): string[] {
  const flat = reply.type === 'map' ? reply.value.flat() : replyItems(reply);
  const lines: string[] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    lines.push(`${replyBytes(flat[index]!).toString('hex')}=${replyBytes(flat[index + 1]!).toString('hex')}`);
  }
  return lines.sort();
}

export function pairsSame(expected: Reply, actual: Reply): boolean {
  if ((expected.type !== 'map' && expected.type !== 'array') || expected.type !== actual.type) return sameReply(expected, actual);
  return pairLines(expected).join() === pairLines(actual).join();
}

/** HSCAN / SSCAN / SCAN results gathered over every page: distinct items (or pairs) as sorted lines. */
export function scannedSet(reply: Reply, paired: boolean): string[] {
  return [...new Set(paired ? pairLines(reply) : keySet(reply))].sort();
}

export interface RandomPick {
  part: Buffer;
  value: Buffer | undefined; // HRANDFIELD WITHVALUES
}

/**
 * The picks of a random reply with a count: bare items, RESP3 [field, value] pairs, or a RESP2
 * flat field, value list; undefined when the reply has no such shape.
 */
export function randomPicks(reply: Reply, withValues: boolean): RandomPick[] | undefined {
  if (!isList(reply)) return undefined;
  const items = replyItems(reply);
  if (!withValues) return items.every((item) => item.type === 'bulk') ? items.map((item) => ({ part: replyBytes(item), value: undefined })) : undefined;
  if (items.every((item) => item.type === 'array' && item.value.length === 2)) {
    return items.map((item) => ({ part: replyBytes(replyItems(item)[0]!), value: replyBytes(replyItems(item)[1]!) }));
  }
  if (items.length % 2 === 1 || !items.every((item) => item.type === 'bulk')) return undefined;
  const picks: RandomPick[] = [];
  for (let index = 0; index < items.length; index += 2) picks.push({ part: replyBytes(items[index]!), value: replyBytes(items[index + 1]!) });
  return picks;
}

const pickLine = (pick: RandomPick) => `${pick.part.toString('hex')}=${pick.value?.toString('hex') ?? ''}`;

/** A count argument as Redis reads it once it was accepted (errors are compared before). */
function countOf(arg: Buffer | undefined): bigint | undefined {
  if (arg === undefined) return undefined;
  try {
    return BigInt(arg.toString('latin1'));
  } catch {
    return undefined;
  }
}

/**
 * HRANDFIELD key [count [WITHVALUES]], SRANDMEMBER key [count], SPOP key [count]: same reply type,
 * and with a count the same number of picks, in the same nesting; a positive count gives distinct
 * picks, and all of them (compared as sets) when Redis returned fewer than asked.
 */
export function randomSame(args: readonly Buffer[], expected: Reply, actual: Reply): boolean {
  if (expected.type !== actual.type) return false;
  const count = countOf(args[2]);
  if (count === undefined) return true; // one pick or none: bulk or null, compared by type
  const withValues = args.length === 4;
  const [mine, theirs] = [randomPicks(expected, withValues), randomPicks(actual, withValues)];
  if (mine === undefined || theirs === undefined || mine.length !== theirs.length) return false;
  if (withValues && replyItems(expected).length !== replyItems(actual).length) return false; // nested vs flat
  if (count <= 0n) return true;
  const lines = theirs.map(pickLine);
  if (new Set(lines).size !== lines.length) return false;
  if (BigInt(mine.length) < count) return mine.map(pickLine).sort().join() === [...lines].sort().join();
  return true;
}

const STRING_ENCODINGS = new Set(['int', 'embstr', 'raw']);

/**
 * OBJECT ENCODING. Hash encodings (listpack, hashtable) and set encodings must match exactly,
 * except where Redis 7.0.15 and 7.2 (which tskv follows for sets) disagree:
 * - 'if-set': a set 7.0 holds as a hashtable may be a listpack in 7.2 (set-max-listpack-entries);
 *   the caller accepts it only if TYPE says set;
 * - 'if-hinted': a set 7.0 holds as an intset may be a listpack or a hashtable in 7.2, whose SADD
 *   takes its argument count as a size hint (t_set.c setTypeCreate / setTypeMaybeConvert): an
 *   SADD of more arguments than set-max-intset-entries makes a new key a listpack and converts an
 *   intset to a hashtable, even when repeated or present members leave fewer than that. The
 *   caller accepts it only in a run that made such an SADD.
 * - 'if-list': Redis 7.0 holds every list as a quicklist, 7.2 small ones as listpacks
 *   (list-max-listpack-size); the caller accepts it only if TYPE says list.
 * String encodings are compared by shape: tskv keeps no robj, and its int / embstr / raw answers
 * follow the value, not Redis's object history (an APPENDed "1" is raw in Redis).
 */
export function encodingSame(expected: Reply, actual: Reply): boolean | 'if-set' | 'if-hinted' | 'if-list' {
  if (expected.type !== 'bulk' || actual.type !== 'bulk') return sameReply(expected, actual);
  const [mine, theirs] = [expected.value.toString('latin1'), actual.value.toString('latin1')];
  if (STRING_ENCODINGS.has(mine)) return STRING_ENCODINGS.has(theirs);
  if (mine === theirs) return true;
  if (mine === 'hashtable' && theirs === 'listpack') return 'if-set';
  if (mine === 'quicklist' && theirs === 'listpack') return 'if-list';
  return mine === 'intset' && (theirs === 'listpack' || theirs === 'hashtable') ? 'if-hinted' : false;
}

/** RDB object type families (rdb.h): a DUMP payload's first byte, by the type it holds. */
const RDB_FAMILIES: ReadonlyMap<number, string> = new Map([
  [0, 'string'], [4, 'hash'], [9, 'hash'], [13, 'hash'], [16, 'hash'], [2, 'set'], [11, 'set'], [20, 'set'],
  [1, 'list'], [10, 'list'], [14, 'list'], [18, 'list'], [3, 'zset'], [5, 'zset'], [12, 'zset'], [17, 'zset'],
]);

/**
 * DUMP: strings byte for byte; a hash, set, sorted set or list payload only by the type it holds
 * (Redis 7.0 writes listpack / intset payloads, tskv the plain forms; a list's quicklist nodes
 * follow Redis 7.0's push history and list-max-listpack-size, tskv's a tail fill at -2: all
 * RESTORE in Redis 7.0, which the caller checks by restoring tskv's payload into the oracle).
 */
export function dumpSame(expected: Reply, actual: Reply): boolean {
  if (expected.type !== 'bulk' || actual.type !== 'bulk' || expected.value[0] === 0) return sameReply(expected, actual);
  const family = RDB_FAMILIES.get(expected.value[0]!);
  return family !== undefined && family === RDB_FAMILIES.get(actual.value[0]!);
}
