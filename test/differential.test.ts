// test/differential.test.ts: fast-check sequences of string, hash, set, sorted set, list, keyspace,
// expiry and transaction commands run against a real redis-server 7.0.15 and against tskv, every
// reply compared. Strings, hashes, sets, sorted sets and lists share one small key pool, so types
// mix (WRONGTYPE paths, DEL / RENAME / COPY / MOVE / TYPE over every type). Lists come out in
// order, so their replies compare exactly; blocking pops run in MULTI (where they never block) or
// with a timeout that fails before any wait. Each run starts with FLUSHALL and random small
// encoding thresholds (CONFIG SET hash-max-listpack-entries / -value, set-max-intset-entries,
// zset-max-listpack-entries / -value, list-max-listpack-size) on both servers, so encodings
// convert within short sequences.
// How replies are compared (test/helpers/reply-compare.ts):
// - exactly (type byte, error text, bytes), in RESP2 or RESP3 (chosen per run);
// - KEYS as a set; SCAN, HSCAN and SSCAN by iterating to cursor 0 on each server and comparing the
//   sets of keys, pairs or members; RANDOMKEY and a SCAN / HSCAN / SSCAN from an arbitrary cursor
//   only by shape (Redis itself answers either way);
// - HKEYS, HVALS, SMEMBERS, SINTER, SUNION, SDIFF as unordered arrays (RESP3 sets); HGETALL as a
//   set of pairs (RESP3 map, RESP2 flat array): tskv lists elements in hash order;
// - HRANDFIELD, SRANDMEMBER and ZRANDMEMBER by shape and properties: the same reply type and number
//   of picks (nested pairs in RESP3), distinct picks for a positive count, the whole content when
//   the count reached the size; as a lone command, every pick (and value, or score) is asked of the
//   oracle too;
// - sorted set replies exactly, order included (Redis's order is the scores'): ZPOPMIN, ZPOPMAX and
//   ZMPOP are not random, so they run as plain commands; BYLEX ranges only on a key that only ever
//   holds score 0 (Redis defines them for one score); ZSCAN by iterating to cursor 0, as pairs;
// - SPOP, which leaves the two servers with different members, is its own step (alone, in
//   MULTI/EXEC, or pipelined with SCARD): the oracle's SMEMBERS before, then tskv's picks must be
//   distinct members of it, tskv's SMEMBERS after must be the rest, SCARD must agree; then, if
//   anything was popped, the key is DELeted on both, so later steps compare equal states again;
// - OBJECT ENCODING: hash encodings exactly; set encodings where Redis 7.0 and 7.2 agree (intset,
//   hashtable): a set 7.0 holds as a hashtable may be a listpack in tskv (7.2's small-set
//   encoding), and a list 7.0 holds as a quicklist (all of them) may be a listpack in tskv (7.2's
//   small lists), so each OBJECT ENCODING is followed by a TYPE of its key and those differences
//   pass only when TYPE says set, or list; sorted set encodings are 7.0's and compared exactly;
//   string encodings only by shape (see encodingSame);
// - DUMP: strings byte for byte, hashes, sets, sorted sets and lists by payload type (7.0 writes
//   listpack / intset payloads, tskv the plain ones; list nodes may be filled otherwise); as a lone
//   command, tskv's payload must RESTORE in the oracle and in tskv to the key's content;
// - TTL / PTTL / EXPIRETIME / PEXPIRETIME within a tolerance (the two servers run the command a
//   few ms apart); every TTL is either >= 100 s, in the past, or 5 ms followed by a 30 ms pause,
//   so no comparison lands near an expiry boundary;
// - DBSIZE exactly, until the run has made a key that may sit expired and not yet reaped (its
//   count then depends on each server's active expiry timing), then only by shape.
// Set and sorted set commands are generated when tskv has them (COMMAND INFO sadd / zadd answers);
// DIFF_SETS / DIFF_ZSETS=0 leaves them out, =1 forces them in.
// Bounded to ~12 s in npm test (fast-check interruptAfterTimeLimit; DIFF_TIME_MS=120000 for a long
// run). Reproduce with DIFF_SEED=<seed>.
// A second part drives both servers with a fixed list of CONFIG SET / CONFIG GET commands (the
// Redis settings clients set at start, their validation errors, their echoes, globs compared as
// sets of pairs), in RESP2 and RESP3.
// TSKV_DIFF_TARGET=redis runs the same test against a second redis-server: a self-check that the
// harness reports no false differences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { RawClient, formatReply, replyBytes, replyItems, type Reply } from './helpers/raw-client.js';
import { dumpSame, encodingSame, keySet, pairsSame, randomPicks, randomSame, sameReply, scannedSet, unorderedSame } from './helpers/reply-compare.js';
import { startServer } from './helpers/server.js';

type Arg = string | Buffer | { kind: 'tinyPx' } | { kind: 'absMs'; offsetMs: number } | { kind: 'absS'; offsetS: number }
  | { kind: 'past'; text: string }; // a time that may leave an expired, not yet reaped key (DBSIZE then varies)
type Mode = 'exact' | 'ttl' | 'keys' | 'shape' | 'dbsize' | 'unordered' | 'pairs' | 'random' | 'encoding' | 'typeProbe' | 'dump';
interface Command { args: Arg[]; mode: Mode }
type Step =
  | { kind: 'command'; command: Command }
  | { kind: 'scanAll'; options: Arg[] }
  | { kind: 'elementScanAll'; name: 'HSCAN' | 'SSCAN' | 'ZSCAN'; key: Arg; options: Arg[] }
  | { kind: 'spop'; key: Arg; count: Arg | undefined; wrap: 'alone' | 'multi' | 'pipeline' }
  | { kind: 'pipeline'; commands: Command[] } // sent in one write; no 5 ms TTLs inside
  | { kind: 'transaction'; watch: Arg[][]; before: Command[]; queued: Command[]; end: 'EXEC' | 'DISCARD' };

const TINY_PX: Arg = { kind: 'tinyPx' };
const past = (...texts: string[]): Arg[] => texts.map((text) => ({ kind: 'past', text }));
const TINY_PAUSE_MS = 30;
const TTL_TOLERANCE: Record<string, bigint> = { ttl: 2n, expiretime: 2n, pttl: 1500n, pexpiretime: 1500n }; // loaded CI machines stall
// tskv keeps absolute expiry times as JS numbers, clamped to 2^53 - 1 ms (year 287396; README,
// Limits): past these answers both servers say "beyond that year", so they agree when both are.
const TTL_CLAMPED_FROM: Record<string, bigint> = { ttl: 9_000_000_000_000n, expiretime: 9_000_000_000_000n, pttl: 9_000_000_000_000_000n, pexpiretime: 9_000_000_000_000_000n };
const SCAN_PAGES_MAX = 10_000;
const RUN_TIME_MS = Number(process.env['DIFF_TIME_MS'] ?? 12_000);

// ---- generators -------------------------------------------------------------------------------

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const key = fc.constantFrom<Arg>('k1', 'k2', 'k3', 'user:1', 'user:22', 'k*', b('\x00\xff\r\nbin'), '');
const keys = (min: number, max: number) => fc.array(key, { minLength: min, maxLength: max });
const EDGE_NUMBERS = ['0', '-0', '1', '-1', '+1', ' 1', '  1', '1 ', '01', '00', '\t1', '1\x00',
  '9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807',
  '9223372036854775808', '-9223372036854775809', '18446744073709551615', '1.5', '-1.5', '1e2', '1E2',
  '.5', '5.', 'inf', '-inf', '+inf', 'nan', '0x1f', '1_000', '3.0', '10.50', '5.0e3', '1e308', '1e309',
  '-1e309', '0.1', '0.2', '1.7976931348623157e308', '4.9e-324', '', ' ', 'abc'];
const number = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Arg>(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }).map<Arg>(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map<Arg>(String) },
);
const float = fc.oneof(
  number,
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map<Arg>(String),
  fc.constantFrom<Arg>('0.1', '-0.1', '1.1', '2.5e-3', '1e10', '-1e-10', '3.14159'),
);
const value = fc.oneof(
  { weight: 3, arbitrary: number },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }).map<Arg>((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('', 'hello', 'x'.repeat(60), 'ohmytext', 'mynewtext') },
);
// Known deviation, by design (src/commands/arguments.ts): tskv clamps absolute expiry times past 2^53-1 ms
// (year 287396) where Redis keeps them up to 2^63-1, so the valid times generated stay below 2^53 ms;
// times that overflow 64 bits (an error in both) are still generated.
const seconds = fc.oneof(
  fc.constantFrom<Arg>(...past('0', '-1', '-100'), 'abc', '1.5', '', '9223372036854775807', '-9223372036854775808',
    '9223372036854775', '9223372036854776', '8000000000000'),
  fc.integer({ min: 100, max: 100_000 }).map<Arg>(String),
);
const millis = fc.oneof(
  fc.constantFrom<Arg>(...past('0', '-1'), 'abc', '9223372036854775807', '9223372036854775806', '8000000000000000', TINY_PX),
  fc.integer({ min: 100_000, max: 100_000_000 }).map<Arg>(String),
);
const unixSeconds = fc.oneof(
  fc.constantFrom<Arg>(...past('0', '1', '-1'), 'abc', '9223372036854775807'),
  fc.oneof(fc.integer({ min: 100, max: 100_000 }), fc.integer({ min: -100_000, max: -1 }))
    .map<Arg>((offsetS) => ({ kind: 'absS', offsetS })),
);
const unixMillis = fc.oneof(
  fc.constantFrom<Arg>(...past('0', '1', '-1'), 'abc', '9223372036854775808', '8000000000000000'),
  fc.oneof(fc.integer({ min: 100_000, max: 100_000_000 }), fc.integer({ min: -100_000_000, max: -1 }))
    .map<Arg>((offsetMs) => ({ kind: 'absMs', offsetMs })),
);
const index = fc.oneof(fc.integer({ min: -12, max: 12 }).map<Arg>(String),
  fc.constantFrom<Arg>('x', '9223372036854775807', '-9223372036854775808', '1.0', ''));
const pattern = fc.constantFrom<Arg>('*', 'k*', 'k?', 'k[12]', 'k[^1]', 'k[1-2]', 'user:*', 'k\\*', 'k\\1', '[',
  'k[', '*1*', '?', 'u*2', '*\\', 'K*', b('\x00*'), 'user:[!1]*', 'k[a-', 'k[3-1]');
const casing = (word: string) => fc.constantFrom(word.toUpperCase(), word.toLowerCase(),
  word.charAt(0).toUpperCase() + word.slice(1).toLowerCase());
const flat = (parts: Arg[][]): Arg[] => parts.flat();

function command(name: string, rest: fc.Arbitrary<Arg[]>, mode: Mode = 'exact'): fc.Arbitrary<Command> {
  return fc.tuple(casing(name), rest).map(([word, args]) => ({ args: [word, ...args], mode }));
}
const option = (...choices: fc.Arbitrary<Arg[]>[]) => fc.oneof(...choices);
const word = (text: string) => casing(text).map((w) => [w] as Arg[]);
const withArg = (text: string, arg: fc.Arbitrary<Arg>) => fc.tuple(casing(text), arg).map(([w, a]) => [w, a] as Arg[]);

const setOption = option(word('NX'), word('XX'), word('GET'), word('KEEPTTL'), withArg('EX', seconds),
  withArg('PX', millis), withArg('EXAT', unixSeconds), withArg('PXAT', unixMillis), word('EX'), fc.constant<Arg[]>(['FOO']));
const getexOption = option(word('PERSIST'), withArg('EX', seconds), withArg('PX', millis),
  withArg('EXAT', unixSeconds), withArg('PXAT', unixMillis), word('PX'), fc.constant<Arg[]>(['BAR']));
const expireFlags = fc.array(fc.constantFrom<Arg>('NX', 'XX', 'GT', 'LT', 'nx', 'gt', 'ZZ'), { maxLength: 2 });
const lcsOption = option(word('LEN'), word('IDX'), withArg('MINMATCHLEN', index), word('WITHMATCHLEN'));
const pairs = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }).map((list) => list.flat());
// DUMP payloads taken from redis-server 7.0.15 ('bar', '1', 'a' x 100 LZF-compressed), one with a bad
// checksum, one from RDB version 11, and a well-framed one whose body is not a string ('00c4');
// then aggregates: a listpack hash {f1: 1, f2: two, '': empty}, a hashtable hash {f1: 1, 'g' x 65: x},
// an intset {1, -2^63, 2^63-1}, a hashtable set {a, 1, 'm' x 65}, and the listpack hash with a bad
// checksum; then sorted sets: a listpack {'': -inf, a: 1, b: 2.5} and a skiplist {'x' x 65: 0.5, a: 1}.
// RESTORE re-derives their encodings from the run's thresholds, in both servers.
const dumpPayload = fc.constantFrom<Arg>(
  ...['00036261720a00e6be4960ee66fd17', '00c0010a002678e7b6d10111fc', '00c3094064016161e057000161610a00e8a3b507b06df271',
    '00036261720a00e6be4960ee66fd18', '00036261720b00e6be4960ee66fd17', '00c40a00acb0f0a3c8b0585b',
    '101f1f0000000600826631030101826632038374776f04800185656d70747906ff0a00bbe7125a6e36336b',
    '0402026631c001c3094041016767e0340001676701780a001f6ff6ad07c67e96',
    '0bc316200408000000032003a000018001a00800ff600001ff7f0a00c895268b19c8d67b',
    '0203c001c3094041016d6de03400016d6d01610a003950095c04cb7f61',
    '101f1f0000000600826631030101826632038374776f04800185656d70747906ff0a00bbe7125a6e36336c',
    '111c1c00000006008001842d696e6605816102010181620283322e3504ff0a00fe30ee84bf768a15',
    '05020161000000000000f03fc3094041017878e03400017878000000000000e03f0a001a4ee5299858f554'].map((hex) => Buffer.from(hex, 'hex')),
  'garbage', '',
);
const restoreOption = option(word('REPLACE'), word('ABSTTL'), withArg('IDLETIME', index), withArg('FREQ', fc.constantFrom<Arg>('0', '255', '256', '-1', 'x')));

const writeCommands: fc.Arbitrary<Command>[] = [
  command('SET', fc.tuple(key, value, fc.array(setOption, { maxLength: 3 })).map(([k, v, o]) => [k, v, ...flat(o)])),
  command('SETNX', fc.tuple(key, value)),
  command('SETEX', fc.tuple(key, seconds, value)),
  command('PSETEX', fc.tuple(key, millis, value)),
  command('MSET', pairs),
  command('MSETNX', pairs),
  command('GETSET', fc.tuple(key, value)),
  command('GETDEL', fc.tuple(key)),
  command('GETEX', fc.tuple(key, fc.array(getexOption, { maxLength: 2 })).map(([k, o]) => [k, ...flat(o)])),
  command('INCR', fc.tuple(key)),
  command('DECR', fc.tuple(key)),
  command('INCRBY', fc.tuple(key, number)),
  command('DECRBY', fc.tuple(key, number)),
  command('INCRBYFLOAT', fc.tuple(key, float)),
  command('APPEND', fc.tuple(key, value)),
  command('SETRANGE', fc.tuple(key, fc.oneof(index, fc.constantFrom<Arg>('536870912', '9223372036854775807')), value)),
  command('DEL', keys(1, 3)),
  command('UNLINK', keys(1, 3)),
  command('RENAME', fc.tuple(key, key)),
  command('RENAMENX', fc.tuple(key, key)),
  command('COPY', fc.tuple(key, key, fc.array(option(word('REPLACE'), withArg('DB', fc.constantFrom<Arg>('0', '1', '16', 'x'))),
    { maxLength: 2 })).map(([s, t, o]) => [s, t, ...flat(o)])),
  command('MOVE', fc.tuple(key, fc.constantFrom<Arg>('0', '1', '16', '-1', 'x'))),
  command('EXPIRE', fc.tuple(key, seconds, expireFlags).map(([k, t, f]) => [k, t, ...f])),
  command('PEXPIRE', fc.tuple(key, millis, expireFlags).map(([k, t, f]) => [k, t, ...f])),
  command('EXPIREAT', fc.tuple(key, unixSeconds, expireFlags).map(([k, t, f]) => [k, t, ...f])),
  command('PEXPIREAT', fc.tuple(key, unixMillis, expireFlags).map(([k, t, f]) => [k, t, ...f])),
  command('PERSIST', fc.tuple(key)),
  command('RESTORE', fc.tuple(key, fc.oneof(millis, fc.constantFrom<Arg>('0', '0', '-5')), dumpPayload, fc.array(restoreOption, { maxLength: 2 }))
    .map(([k, t, p, o]) => [k, t, p, ...flat(o)])),
];
const readCommands: fc.Arbitrary<Command>[] = [
  command('GET', fc.tuple(key)),
  command('DUMP', fc.tuple(key), 'dump'),
  command('MGET', keys(1, 4)),
  command('STRLEN', fc.tuple(key)),
  command('GETRANGE', fc.tuple(key, index, index)),
  command('SUBSTR', fc.tuple(key, index, index)),
  command('LCS', fc.tuple(key, key, fc.array(lcsOption, { maxLength: 2 })).map(([x, y, o]) => [x, y, ...flat(o)])),
  command('EXISTS', keys(1, 4)),
  command('TYPE', fc.tuple(key)),
  // not ENCODING / REFCOUNT / IDLETIME: tskv answers plausibly, not as Redis's object sharing and LRU clock do
  command('OBJECT', fc.tuple(fc.constantFrom<Arg>('FREQ', 'freq', 'HELP', 'NOPE'), key)),
  command('TOUCH', keys(1, 3)),
  command('TTL', fc.tuple(key), 'ttl'),
  command('PTTL', fc.tuple(key), 'ttl'),
  command('EXPIRETIME', fc.tuple(key), 'ttl'),
  command('PEXPIRETIME', fc.tuple(key), 'ttl'),
  command('KEYS', fc.tuple(pattern), 'keys'),
  command('DBSIZE', fc.constant([]), 'dbsize'),
  command('RANDOMKEY', fc.constant([]), 'shape'),
  command('SCAN', fc.tuple(fc.constantFrom<Arg>('abc', ' 1', '-1', '', '+0', '18446744073709551616',
    '18446744073709551615', '-18446744073709551616', '0x10', b('1\x00z'), '007')), 'shape'),
];
const otherCommands: fc.Arbitrary<Command>[] = [
  command('SELECT', fc.tuple(fc.constantFrom<Arg>('0', '1', '16', '-1', 'x'))),
  command('FLUSHDB', fc.array(fc.constantFrom<Arg>('ASYNC', 'SYNC', 'async', 'NOW'), { maxLength: 1 })),
  command('SWAPDB', fc.tuple(fc.constantFrom<Arg>('0', '1'), fc.constantFrom<Arg>('0', '1', '16', 'x'))),
  fc.constantFrom<Command>(...[['GET'], ['GET', 'a', 'b'], ['SET', 'a'], ['INCR'], ['MSET', 'a'], ['MSET', 'a', '1', 'b'],
    ['EXPIRE', 'a'], ['TTL'], ['SCAN'], ['KEYS'], ['DEL'], ['GETEX'], ['LCS', 'a'], ['nosuchcommand', 'x', 'y'],
    ['EXISTS'], ['SETRANGE', 'a', '1'], ['SELECT']].map((args): Command => ({ args, mode: 'exact' }))),
];
// ---- hashes --------------------------------------------------------------------------------------

// A small pool so fields repeat; '' and binary fields; a field past 64 bytes (hashtable encoding).
// Hash commands favor two keys of the pool, set commands two others, so aggregates grow; every
// family still reaches every key (WRONGTYPE).
const keyFavoring = (...favored: string[]) => fc.oneof({ weight: 2, arbitrary: fc.constantFrom<Arg>(...favored) }, { weight: 1, arbitrary: key });
const hashKey = keyFavoring('user:1', 'k1');
const setKey = keyFavoring('user:22', 'k2');
const setKeys = (min: number, max: number) => fc.array(setKey, { minLength: min, maxLength: max });
const field = fc.constantFrom<Arg>('f1', 'f2', 'f3', 'F', '', '1', '-5', b('\x00\xff\r\nf'), 'g'.repeat(65), 'ohmytext');
const fields = (min: number, max: number) => fc.array(field, { minLength: min, maxLength: max });
const hashValue = fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom<Arg>('v'.repeat(65), '', '3.0e1') });
const fieldPairsOf = (min: number, max: number) => fc.array(fc.tuple(field, hashValue), { minLength: min, maxLength: max }).map((list) => list.flat());
const fieldPairs = fieldPairsOf(1, 4);
// Counts for HRANDFIELD / SRANDMEMBER. Never a large negative count Redis accepts: it would
// answer that many picks (LONG_MAX / 2 with WITHVALUES is refused, so only those are generated).
const randomCount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -6, max: 12 }).map<Arg>(String) },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('x', '1.5', '', ' 1', '+1', '9223372036854775807', '-9223372036854775808', '4611686018427387903') },
);
const fieldPattern = fc.constantFrom<Arg>('*', 'f*', 'f?', 'f[12]', '[', '*1*', '?', b('\x00*'), 'g*', '', 'F', '1*', '[0-9]*', 'm*');
const elementCursor = fc.constantFrom<Arg>('0', '0', '1', '7', 'abc', ' 1', '-1', '', '18446744073709551616', '007', b('1\x00z'));
const elementScanOptions = fc.array(option(withArg('MATCH', fieldPattern),
  withArg('COUNT', fc.constantFrom<Arg>('1', '2', '3', '10', '1000', '0', '-1', 'x')), word('MATCH'), withArg('TYPE', fc.constantFrom<Arg>('hash', 'set'))),
{ maxLength: 2 }).map(flat);
const encodingCommand = fc.tuple(casing('ENCODING'), fc.oneof(hashKey, key)).map(([w, k]): Command => ({ args: ['OBJECT', w, k], mode: 'encoding' }));

const hashWriteCommands: fc.Arbitrary<Command>[] = [
  command('HSET', fc.tuple(hashKey, fieldPairs).map(([k, p]) => [k, ...p])),
  command('HMSET', fc.tuple(hashKey, fieldPairs).map(([k, p]) => [k, ...p])),
  command('HSETNX', fc.tuple(hashKey, field, hashValue)),
  command('HDEL', fc.tuple(hashKey, fields(1, 3)).map(([k, f]) => [k, ...f])),
  command('HINCRBY', fc.tuple(hashKey, field, number)),
  // 1e4000: a long double whose text is ~4000 digits, past hash-max-listpack-value (hashtable)
  command('HINCRBYFLOAT', fc.tuple(hashKey, field, fc.oneof({ weight: 9, arbitrary: float }, { weight: 1, arbitrary: fc.constantFrom<Arg>('1e4000', '-1e4000', '1e4932') }))),
];
const hashReadCommands: fc.Arbitrary<Command>[] = [
  command('HGET', fc.tuple(hashKey, field)),
  command('HMGET', fc.tuple(hashKey, fields(1, 4)).map(([k, f]) => [k, ...f])),
  command('HLEN', fc.tuple(hashKey)),
  command('HSTRLEN', fc.tuple(hashKey, field)),
  command('HEXISTS', fc.tuple(hashKey, field)),
  command('HKEYS', fc.tuple(hashKey), 'unordered'),
  command('HVALS', fc.tuple(hashKey), 'unordered'),
  command('HGETALL', fc.tuple(hashKey), 'pairs'),
  command('HRANDFIELD', fc.oneof(
    { weight: 3, arbitrary: fc.tuple(hashKey).map((args): Arg[] => args) },
    { weight: 3, arbitrary: fc.tuple(hashKey, randomCount).map((args): Arg[] => args) },
    { weight: 3, arbitrary: fc.tuple(hashKey, randomCount, casing('WITHVALUES')).map((args): Arg[] => args) },
    { weight: 1, arbitrary: fc.oneof(
      fc.tuple(hashKey, randomCount, fc.constantFrom<Arg>('WITHVALUE', 'x')),
      fc.tuple(hashKey, fc.constantFrom<Arg>('4611686018427387904', '-4611686018427387904', '9223372036854775807'), casing('WITHVALUES')),
      fc.tuple(hashKey, randomCount, fc.constant<Arg>('WITHVALUES'), fc.constant<Arg>('x')),
    ).map((args): Arg[] => args) },
  ), 'random'),
  command('HSCAN', fc.tuple(hashKey, elementCursor, elementScanOptions).map(([k, c, o]) => [k, c, ...o]), 'shape'),
  encodingCommand,
];

// ---- sets ----------------------------------------------------------------------------------------

// Integers (intset) at the int64 bounds, strings that only look like integers ('-0', '01', '+1',
// ' 1', 2^63), '' and binary members, and one past 64 bytes.
const setInteger = fc.constantFrom<Arg>('0', '1', '-1', '2', '3', '10', '100', '9223372036854775807', '-9223372036854775808', '65536', '-2147483649');
const member = fc.oneof(
  { weight: 3, arbitrary: setInteger },
  { weight: 2, arbitrary: fc.constantFrom<Arg>('9223372036854775808', '-0', '01', '+1', ' 1', '1.0', 'a', 'b', 'c', '', b('\x00\xff\r\nm'), 'm'.repeat(65), 'ohmytext') },
);
const members = (min: number, max: number) => fc.array(member, { minLength: min, maxLength: max });
const intercardLimit = fc.array(withArg('LIMIT', fc.constantFrom<Arg>('0', '1', '2', '3', '-1', 'x', '100')), { maxLength: 1 }).map(flat);

const setWriteCommands: fc.Arbitrary<Command>[] = [
  ...Array<fc.Arbitrary<Command>>(3).fill(command('SADD', fc.tuple(setKey, members(1, 5)).map(([k, m]) => [k, ...m]))), // sets grow
  command('SREM', fc.tuple(setKey, members(1, 3)).map(([k, m]) => [k, ...m])),
  command('SMOVE', fc.tuple(setKey, setKey, member)),
  // a destination from the whole pool: an empty result deletes it, and the favored sets should grow
  command('SINTERSTORE', fc.tuple(key, setKeys(1, 3)).map(([k, s]) => [k, ...s])),
  command('SUNIONSTORE', fc.tuple(key, setKeys(1, 3)).map(([k, s]) => [k, ...s])),
  command('SDIFFSTORE', fc.tuple(key, setKeys(1, 3)).map(([k, s]) => [k, ...s])),
];
const setReadCommands: fc.Arbitrary<Command>[] = [
  command('SCARD', fc.tuple(setKey)),
  command('SISMEMBER', fc.tuple(setKey, member)),
  command('SMISMEMBER', fc.tuple(setKey, members(1, 3)).map(([k, m]) => [k, ...m])),
  command('SMEMBERS', fc.tuple(setKey), 'unordered'),
  command('SRANDMEMBER', fc.oneof(fc.tuple(setKey).map((args): Arg[] => args), fc.tuple(setKey, randomCount).map((args): Arg[] => args)), 'random'),
  command('SINTER', setKeys(1, 3), 'unordered'),
  command('SUNION', setKeys(1, 3), 'unordered'),
  command('SDIFF', setKeys(1, 3), 'unordered'),
  command('SINTERCARD', fc.tuple(setKeys(1, 3), fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom<Arg>('0', 'x', '-1', '4', '1') }), intercardLimit)
    .map(([s, numkeys, limit]) => [numkeys ?? String(s.length), ...s, ...limit])),
  command('SSCAN', fc.tuple(setKey, elementCursor, elementScanOptions).map(([k, c, o]) => [k, c, ...o]), 'shape'),
  encodingCommand,
];
const spopCount = fc.option(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map<Arg>(String) },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('-1', 'x', '9223372036854775807', '') }), { freq: 3 }); // freq 3: no count once in 3
const spopStep = fc.record({ key: setKey, count: spopCount, wrap: fc.constantFrom<'alone' | 'multi' | 'pipeline'>('alone', 'alone', 'multi', 'pipeline') })
  .map(({ key: k, count, wrap }): Step => ({ kind: 'spop', key: k, count: count ?? undefined, wrap }));

// ---- sorted sets ---------------------------------------------------------------------------------

// Two favored keys, and 'zlex', which only ever holds score 0 (written by the lex commands alone):
// Redis defines BYLEX ranges for one score, and a skiplist's answer otherwise follows its random
// levels. Scores repeat (ties ordered by member), include -0 (0 in a listpack, -0 in a skiplist),
// infinities, and texts Redis refuses; a member past 64 bytes turns a zset into a skiplist.
const zsetKey = keyFavoring('k3', 'z:1');
const zsetKeys = (min: number, max: number) => fc.array(fc.oneof({ weight: 3, arbitrary: zsetKey }, { weight: 1, arbitrary: setKey }), { minLength: min, maxLength: max });
const LEX_KEY = 'zlex';
const zmember = fc.constantFrom<Arg>('a', 'b', 'c', 'm1', 'm2', '', '1', '-1', b('\x00\xff\r\nz'), 'z'.repeat(65), 'ohmytext');
const zmembers = (min: number, max: number) => fc.array(zmember, { minLength: min, maxLength: max });
const zscore = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3, max: 3 }).map<Arg>(String) },
  { weight: 3, arbitrary: fc.constantFrom<Arg>('-0', '0.5', '-1.5', '0.1', '1e17', 'inf', '-inf', '+inf', '2.5e-3', '4611686018427387905') },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('nan', 'abc', '', ' 1', '1e400', '(1') },
);
const scoreBound = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('', '', '('), fc.integer({ min: -4, max: 4 })).map<Arg>(([open, value]) => `${open}${value}`) },
  { weight: 2, arbitrary: fc.constantFrom<Arg>('-inf', '+inf', '(-inf', 'inf', '(0', '-0', '0.5', '(0.1', '1e17', ' 1') },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('x', '(', '', 'nan', '1x', '((1') },
);
const lexBound = fc.constantFrom<Arg>('-', '+', '[a', '(a', '[b', '(b', '[m1', '(m2', '[', '(', '[z', 'a', '', '+x');
const zindex = fc.oneof(fc.integer({ min: -6, max: 6 }).map<Arg>(String), fc.constantFrom<Arg>('x', '-9223372036854775808', '9223372036854775807'));
const zlimit = fc.array(fc.tuple(casing('LIMIT'), fc.integer({ min: -1, max: 4 }), fc.integer({ min: -1, max: 5 }))
  .map(([w, offset, count]) => [w, String(offset), String(count)] as Arg[]), { maxLength: 1 }).map(flat);
const zaddOptions = fc.array(fc.constantFrom<Arg>('NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'ch', 'gt'), { maxLength: 2 });
const zpairs = (min: number, max: number) => fc.array(fc.tuple(zscore, zmember), { minLength: min, maxLength: max }).map((list) => list.flat());
const withScores = fc.array(casing('WITHSCORES'), { maxLength: 1 });
const weightsAndAggregate = (count: number) => fc.tuple(
  fc.option(fc.array(fc.constantFrom<Arg>('1', '2', '-1', '0', '0.5', 'inf', 'x'), { minLength: count, maxLength: count }), { freq: 2 }),
  fc.option(fc.constantFrom<Arg>('SUM', 'MIN', 'MAX', 'max', 'AVG'), { freq: 2 }),
).map(([weights, how]) => [...(weights === null ? [] : ['WEIGHTS', ...weights]), ...(how === null ? [] : ['AGGREGATE', how])] as Arg[]);
/** numkeys, then the keys, then options made for that many keys (numkeys sometimes wrong). */
const numkeysArgs = (options: (count: number) => fc.Arbitrary<Arg[]>) => zsetKeys(1, 3).chain((keysGiven) => fc.tuple(
  fc.oneof({ weight: 8, arbitrary: fc.constant<Arg>(String(keysGiven.length)) }, { weight: 1, arbitrary: fc.constantFrom<Arg>('0', '-1', 'x', '4') }),
  options(keysGiven.length),
).map(([numkeys, rest]) => [numkeys, ...keysGiven, ...rest]));
const rangeKind = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(zindex, zindex, fc.constant<Arg[]>([])) },
  { weight: 3, arbitrary: fc.tuple(scoreBound, scoreBound, fc.constant<Arg[]>(['BYSCORE'])) },
);
const rangeArgs = fc.tuple(rangeKind, fc.array(casing('REV'), { maxLength: 1 }), zlimit)
  .map(([[min, max, by], rev, limit]) => [min, max, ...by, ...rev, ...limit]);

const zsetWriteCommands: fc.Arbitrary<Command>[] = [
  ...Array<fc.Arbitrary<Command>>(3).fill(command('ZADD', fc.tuple(zsetKey, zaddOptions, zpairs(1, 4)).map(([k, o, p]) => [k, ...o, ...p]))), // zsets grow
  command('ZADD', fc.tuple(zsetKey, zaddOptions, zpairs(1, 1)).map(([k, o, p]) => [k, 'INCR', ...o, ...p])),
  command('ZINCRBY', fc.tuple(zsetKey, zscore, zmember)),
  command('ZREM', fc.tuple(zsetKey, zmembers(1, 3)).map(([k, m]) => [k, ...m])),
  command('ZPOPMIN', fc.tuple(zsetKey, fc.array(fc.constantFrom<Arg>('0', '1', '2', '5', '-1', 'x'), { maxLength: 1 })).map(([k, c]) => [k, ...c])),
  command('ZPOPMAX', fc.tuple(zsetKey, fc.array(fc.constantFrom<Arg>('0', '1', '3', '-1'), { maxLength: 1 })).map(([k, c]) => [k, ...c])),
  command('ZMPOP', fc.tuple(numkeysArgs(() => fc.constant([])), fc.constantFrom<Arg>('MIN', 'MAX', 'max', 'MID'),
    fc.array(fc.tuple(casing('COUNT'), fc.constantFrom<Arg>('1', '2', '10', '0', 'x')), { maxLength: 1 }))
    .map(([keysPart, where, count]) => [...keysPart, where, ...count.flat()])),
  command('ZREMRANGEBYSCORE', fc.tuple(zsetKey, scoreBound, scoreBound)),
  command('ZREMRANGEBYRANK', fc.tuple(zsetKey, zindex, zindex)),
  command('ZUNIONSTORE', fc.tuple(key, numkeysArgs(weightsAndAggregate)).map(([d, rest]) => [d, ...rest])),
  command('ZINTERSTORE', fc.tuple(key, numkeysArgs(weightsAndAggregate)).map(([d, rest]) => [d, ...rest])),
  command('ZDIFFSTORE', fc.tuple(key, numkeysArgs(() => fc.constant([]))).map(([d, rest]) => [d, ...rest])),
  command('ZRANGESTORE', fc.tuple(key, zsetKey, rangeArgs).map(([d, k, r]) => [d, k, ...r])),
  // the lex key: score 0 only
  command('ZADD', fc.tuple(zmembers(1, 4)).map(([m]) => [LEX_KEY, ...m.flatMap((name) => ['0', name])])),
  command('ZREMRANGEBYLEX', fc.tuple(lexBound, lexBound).map(([min, max]) => [LEX_KEY, min, max])),
];
/** BZPOPMIN, BZPOPMAX, BZMPOP with the given timeouts (a function: the timeouts are defined with the lists). */
function zsetBlockingPops(timeout: fc.Arbitrary<Arg>): fc.Arbitrary<Command>[] {
  return [
    command('BZPOPMIN', fc.tuple(zsetKeys(1, 3), timeout).map(([k, t]) => [...k, t])),
    command('BZPOPMAX', fc.tuple(zsetKeys(1, 3), timeout).map(([k, t]) => [...k, t])),
    command('BZMPOP', fc.tuple(timeout, numkeysArgs(() => fc.constant([])), fc.constantFrom<Arg>('MIN', 'MAX', 'max', 'MID'),
      fc.array(fc.tuple(casing('COUNT'), fc.constantFrom<Arg>('1', '2', '10', '0', 'x')), { maxLength: 1 }))
      .map(([t, keysPart, where, count]) => [t, ...keysPart, where, ...count.flat()])),
  ];
}
const zsetReadCommands: fc.Arbitrary<Command>[] = [
  command('ZCARD', fc.tuple(zsetKey)),
  command('ZSCORE', fc.tuple(zsetKey, zmember)),
  command('ZMSCORE', fc.tuple(zsetKey, zmembers(1, 3)).map(([k, m]) => [k, ...m])),
  command('ZRANK', fc.tuple(zsetKey, zmember)),
  command('ZREVRANK', fc.tuple(zsetKey, zmember)),
  command('ZCOUNT', fc.tuple(zsetKey, scoreBound, scoreBound)),
  command('ZRANGE', fc.tuple(zsetKey, rangeArgs, withScores).map(([k, r, w]) => [k, ...r, ...w])),
  command('ZREVRANGE', fc.tuple(zsetKey, zindex, zindex, withScores).map(([k, i, j, w]) => [k, i, j, ...w])),
  command('ZRANGEBYSCORE', fc.tuple(zsetKey, scoreBound, scoreBound, withScores, zlimit).map(([k, i, j, w, l]) => [k, i, j, ...w, ...l])),
  command('ZREVRANGEBYSCORE', fc.tuple(zsetKey, scoreBound, scoreBound, withScores, zlimit).map(([k, i, j, w, l]) => [k, i, j, ...w, ...l])),
  command('ZUNION', fc.tuple(numkeysArgs(weightsAndAggregate), withScores).map(([rest, w]) => [...rest, ...w])),
  command('ZINTER', fc.tuple(numkeysArgs(weightsAndAggregate), withScores).map(([rest, w]) => [...rest, ...w])),
  command('ZDIFF', fc.tuple(numkeysArgs(() => fc.constant([])), withScores).map(([rest, w]) => [...rest, ...w])),
  command('ZINTERCARD', numkeysArgs(() => intercardLimit)),
  command('ZRANDMEMBER', fc.oneof(
    fc.tuple(zsetKey).map((args): Arg[] => args),
    fc.tuple(zsetKey, randomCount).map((args): Arg[] => args),
    fc.tuple(zsetKey, randomCount, casing('WITHSCORES')).map((args): Arg[] => args),
  ), 'random'),
  command('ZSCAN', fc.tuple(zsetKey, elementCursor, elementScanOptions).map(([k, c, o]) => [k, c, ...o]), 'shape'),
  fc.tuple(casing('ENCODING'), zsetKey).map(([w, k]): Command => ({ args: ['OBJECT', w, k], mode: 'encoding' })),
  // the lex key
  command('ZRANGEBYLEX', fc.tuple(lexBound, lexBound, zlimit).map(([min, max, l]) => [LEX_KEY, min, max, ...l])),
  command('ZREVRANGEBYLEX', fc.tuple(lexBound, lexBound, zlimit).map(([min, max, l]) => [LEX_KEY, min, max, ...l])),
  command('ZLEXCOUNT', fc.tuple(lexBound, lexBound).map(([min, max]) => [LEX_KEY, min, max])),
  command('ZRANGE', fc.tuple(lexBound, lexBound, fc.array(casing('REV'), { maxLength: 1 }), zlimit)
    .map(([min, max, rev, l]) => [LEX_KEY, min, max, 'BYLEX', ...rev, ...l])),
];

const exactly = (list: string[][]) => list.map((args): Command => ({ args, mode: 'exact' }));
const zsetArityErrors = exactly([['ZADD', 'a', '1'], ['ZINCRBY', 'a', '1'], ['ZREM', 'a'], ['ZCARD'], ['ZSCORE', 'a'], ['ZRANGE', 'a', '0'],
  ['ZRANGESTORE', 'd', 'a', '0'], ['ZUNION'], ['ZUNIONSTORE', 'd'], ['ZMPOP', '1'], ['ZRANDMEMBER'], ['ZSCAN', 'a'], ['ZRANK', 'a'],
  ['ZRANGE', 'a', '0', '1', 'LIMIT', '0', '1'], ['ZRANGE', 'a', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZRANGEBYLEX', 'a', 'x', 'y'],
  ['BZPOPMIN', 'a'], ['BZPOPMAX'], ['BZMPOP', '0', '1', 'a']]);

const hashArityErrors = exactly([['HSET', 'a', 'f'], ['HSET', 'a'], ['HMSET', 'a', 'f', 'v', 'g'], ['HGET', 'a'], ['HMGET', 'a'], ['HDEL', 'a'],
  ['HLEN'], ['HGETALL', 'a', 'b'], ['HRANDFIELD'], ['HSCAN', 'a'], ['HINCRBY', 'a', 'f'], ['HINCRBYFLOAT', 'a', 'f', '1', '2'], ['HSETNX', 'a', 'f']]);
const setArityErrors = exactly([['SADD', 'a'], ['SREM', 'a'], ['SCARD'], ['SMOVE', 'a', 'b'], ['SINTER'], ['SINTERCARD', '1'], ['SINTERSTORE', 'a'],
  ['SMISMEMBER', 'a'], ['SPOP'], ['SPOP', 'a', '1', '2'], ['SRANDMEMBER', 'a', '1', '2'], ['SSCAN', 'a'], ['SISMEMBER', 'a']]);

/** Each OBJECT ENCODING is followed by a TYPE of its key (see encodingSame). */
function withTypeProbes(commands: readonly Command[]): Command[] {
  return commands.flatMap((c) => (c.mode === 'encoding' ? [c, { args: ['TYPE', c.args[2]!], mode: 'typeProbe' as const }] : [c]));
}

// Encoding thresholds for one run: small ones convert encodings within a few commands.
const encodingConfig = fc.record({
  hashEntries: fc.constantFrom('0', '1', '2', '3', '4', '8', '512', '512'),
  hashValue: fc.constantFrom('0', '4', '16', '64', '64', '64'),
  intsetEntries: fc.constantFrom('0', '1', '2', '3', '4', '512', '512'),
  listSize: fc.constantFrom('-2', '-2', '-1', '0', '1', '3', '8'),
  zsetEntries: fc.constantFrom('0', '1', '2', '3', '4', '8', '128', '128'),
  zsetValue: fc.constantFrom('0', '1', '4', '64', '64'),
}).map(({ hashEntries, hashValue, intsetEntries, listSize, zsetEntries, zsetValue }) => ({
  args: ['CONFIG', 'SET', 'hash-max-listpack-entries', hashEntries, 'hash-max-listpack-value', hashValue, 'set-max-intset-entries', intsetEntries,
    'list-max-listpack-size', listSize, 'zset-max-listpack-entries', zsetEntries, 'zset-max-listpack-value', zsetValue],
  intsetEntriesMax: Number(intsetEntries),
}));

/** The run arbitrary; set and sorted set commands only when the target has them. */
function runs(withSets: boolean, withZsets: boolean) {
  const families = [
    { weight: 4, arbitrary: fc.oneof(...writeCommands) },
    { weight: 3, arbitrary: fc.oneof(...readCommands) },
    { weight: 4, arbitrary: fc.oneof(...hashWriteCommands) },
    { weight: 4, arbitrary: fc.oneof(...hashReadCommands) },
    ...(withSets ? [{ weight: 4, arbitrary: fc.oneof(...setWriteCommands) }, { weight: 4, arbitrary: fc.oneof(...setReadCommands) }] : []),
    ...(withZsets ? [{ weight: 5, arbitrary: fc.oneof(...zsetWriteCommands, ...zsetBlockingPops(failingTimeout)) }, { weight: 5, arbitrary: fc.oneof(...zsetReadCommands) }] : []),
    { weight: 4, arbitrary: fc.oneof(...listWriteCommands) },
    { weight: 3, arbitrary: fc.oneof(...listReadCommands) },
    { weight: 1, arbitrary: fc.oneof(...otherCommands, fc.constantFrom(...hashArityErrors, ...listArityErrors, ...(withSets ? setArityErrors : []), ...(withZsets ? zsetArityErrors : []))) },
  ];
  const simpleCommand = fc.oneof(...families);
  const anyWrite = fc.oneof(...writeCommands, ...hashWriteCommands, ...listWriteCommands, ...(withSets ? setWriteCommands : []), ...(withZsets ? zsetWriteCommands : []));
  // blocking pops with any timeout run only queued: EXEC never lets them block
  const queuedCommand = fc.oneof({ weight: 8, arbitrary: simpleCommand },
    { weight: 1, arbitrary: fc.oneof(...blockingPops(anyTimeout), ...(withZsets ? zsetBlockingPops(anyTimeout) : [])) });
  const scanOptions = fc.array(option(withArg('MATCH', pattern), withArg('COUNT', fc.constantFrom<Arg>('1', '2', '3', '10', '1000', '0', '-1', 'x')),
    // not TYPE none: Redis 7.0 then returns expired keys its active expiry has not reaped yet
    withArg('TYPE', fc.constantFrom<Arg>('string', 'STRING', 'list', 'hash', 'set', 'zset')), word('MATCH')), { maxLength: 3 }).map(flat);
  const transaction = fc.record({
    watch: fc.array(keys(1, 2), { maxLength: 1 }),
    before: fc.array(anyWrite, { maxLength: 1 }),
    queued: fc.array(queuedCommand, { maxLength: 4 }).map(withTypeProbes),
    end: fc.constantFrom<'EXEC' | 'DISCARD'>('EXEC', 'EXEC', 'EXEC', 'DISCARD'),
  });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 20, arbitrary: simpleCommand.map((c): Step => (c.mode === 'encoding' ? { kind: 'pipeline', commands: withTypeProbes([c]) } : { kind: 'command', command: c })) },
    { weight: 2, arbitrary: scanOptions.map((options): Step => ({ kind: 'scanAll', options })) },
    { weight: 2, arbitrary: fc.oneof(
      fc.tuple(fc.constant('HSCAN' as const), hashKey, elementScanOptions),
      ...(withSets ? [fc.tuple(fc.constant('SSCAN' as const), setKey, elementScanOptions)] : []),
      ...(withZsets ? [fc.tuple(fc.constant('ZSCAN' as const), zsetKey, elementScanOptions)] : []),
    ).map(([name, k, options]): Step => ({ kind: 'elementScanAll', name, key: k, options })) },
    ...(withSets ? [{ weight: 1, arbitrary: spopStep }] : []),
    { weight: 2, arbitrary: transaction.map((t): Step => ({ kind: 'transaction', ...t })) },
    { weight: 2, arbitrary: fc.array(simpleCommand.filter((c) => !c.args.includes(TINY_PX)), { minLength: 2, maxLength: 8 })
      .map((commands): Step => ({ kind: 'pipeline', commands: withTypeProbes(commands) })) },
  );
  // A run may open with a few larger HSETs / SADDs, so later commands meet grown aggregates.
  // Rarely, an aggregate past SAMPLE_READ_ALL_MAX (1024, src/types/hashed-elements.ts), whose
  // random picks seek hash positions instead of reading every element.
  const big = fc.integer({ min: 1025, max: 1400 }).map((size) => Array.from({ length: size }, (_, index) => String(index * 7 - 2000)));
  const prelude = fc.array(fc.oneof(
    { weight: 8, arbitrary: command('HSET', fc.tuple(hashKey, fieldPairsOf(3, 8)).map(([k, p]) => [k, ...p])) },
    { weight: 1, arbitrary: command('HSET', fc.tuple(hashKey, big).map(([k, names]): Arg[] => [k, ...names.flatMap((name) => [`f${name}`, name])])) },
    { weight: 6, arbitrary: command('RPUSH', fc.tuple(listKey, elements(3, 12)).map(([k, e]) => [k, ...e])) },
    { weight: 1, arbitrary: command('RPUSH', fc.tuple(listKey, big).map(([k, names]): Arg[] => [k, ...names])) }, // many quicklist nodes
    ...(withSets ? [
      { weight: 8, arbitrary: command('SADD', fc.tuple(setKey, members(3, 12)).map(([k, m]) => [k, ...m])) },
      { weight: 4, arbitrary: command('SADD', fc.tuple(setKey, fc.array(setInteger, { minLength: 2, maxLength: 8 })).map(([k, m]) => [k, ...m])) }, // an intset
      { weight: 1, arbitrary: command('SADD', fc.tuple(setKey, big).map(([k, names]): Arg[] => [k, ...names])) },
    ] : []),
    ...(withZsets ? [
      { weight: 8, arbitrary: command('ZADD', fc.tuple(zsetKey, zpairs(3, 12)).map(([k, p]) => [k, ...p])) },
      { weight: 2, arbitrary: command('ZADD', fc.tuple(zmembers(3, 10)).map(([m]) => [LEX_KEY, ...m.flatMap((name) => ['0', name])])) },
      { weight: 1, arbitrary: command('ZADD', fc.tuple(zsetKey, big).map(([k, names]): Arg[] => [k, ...names.flatMap((name, index) => [String(index % 50), name])])) },
    ] : []),
  ).map((c): Step => ({ kind: 'command', command: c })), { maxLength: 3 });
  const steps = fc.tuple(prelude, fc.array(step, { minLength: 1, maxLength: 40, size: 'medium' })).map(([first, rest]) => [...first, ...rest]);
  return fc.record({ resp3: fc.boolean(), config: encodingConfig, steps });
}

// ---- lists ---------------------------------------------------------------------------------------

// Lists favor two keys of the pool; elements repeat (for LPOS, LREM, LINSERT's pivot), with '',
// binary ones, one past 64 bytes and integers (listpack integer entries in DUMP).
const listKey = keyFavoring('k3', 'k*');
const listKeys = (min: number, max: number) => fc.array(listKey, { minLength: min, maxLength: max });
const element = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Arg>('a', 'b', 'c', '1', '-2', '') },
  { weight: 1, arbitrary: fc.constantFrom<Arg>(b('\x00\xff\r\ne'), 'e'.repeat(65), '9223372036854775808', 'ohmytext') },
);
const elements = (min: number, max: number) => fc.array(element, { minLength: min, maxLength: max });
const listEnd = fc.constantFrom<Arg>('LEFT', 'RIGHT', 'left', 'Right', 'UP');
const popCount = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map<Arg>(String) },
  { weight: 1, arbitrary: fc.constantFrom<Arg>('-1', 'x', '9223372036854775807', '') });
const mpopCount = fc.array(withArg('COUNT', fc.constantFrom<Arg>('1', '2', '5', '0', '-1', 'x')), { maxLength: 1 }).map(flat);
// A timeout that fails before any wait (a blocking command on an empty key would hang the run),
// and any timeout for commands queued in MULTI, which never block. Not the overflowing ones
// ('inf', 1e400): 7.0.15 calls them negative, 7.2 (and tskv) out of range.
const failingTimeout = fc.constantFrom<Arg>('-1', 'x', '', 'nan', '-0.002');
const anyTimeout = fc.oneof(failingTimeout, fc.constantFrom<Arg>('0', '0.01', '1', '-0.0001', '-0.001'));
// Not RANK -9223372036854775808: 7.0.15 negates it (undefined), 7.2 refuses it.
const lposOption = option(withArg('RANK', fc.constantFrom<Arg>('1', '-1', '2', '-2', '0', 'x', '9223372036854775807')),
  withArg('COUNT', fc.constantFrom<Arg>('0', '1', '2', '-1', 'x')), withArg('MAXLEN', fc.constantFrom<Arg>('0', '1', '3', '-1', 'x')),
  word('RANK'), fc.constant<Arg[]>(['FOO']));
const mpop = (name: string, timeout: fc.Arbitrary<Arg> | undefined) => command(name, fc.tuple(
  timeout === undefined ? fc.constant<Arg[]>([]) : timeout.map((t) => [t]), listKeys(1, 3),
  fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom<Arg>('0', '-1', 'x', '4', '9223372036854775807') }),
  listEnd, mpopCount,
).map(([t, k, numkeys, e, count]) => [...t, numkeys ?? String(k.length), ...k, e, ...count]));
/** The blocking pops with the given timeouts. */
const blockingPops = (timeout: fc.Arbitrary<Arg>): fc.Arbitrary<Command>[] => [
  command('BLPOP', fc.tuple(listKeys(1, 3), timeout).map(([k, t]) => [...k, t])),
  command('BRPOP', fc.tuple(listKeys(1, 3), timeout).map(([k, t]) => [...k, t])),
  command('BLMOVE', fc.tuple(listKey, listKey, listEnd, listEnd, timeout)),
  command('BRPOPLPUSH', fc.tuple(listKey, listKey, timeout)),
  mpop('BLMPOP', timeout),
];
const listEncodingCommand = fc.tuple(casing('ENCODING'), listKey).map(([w, k]): Command => ({ args: ['OBJECT', w, k], mode: 'encoding' }));

const listWriteCommands: fc.Arbitrary<Command>[] = [
  ...Array<fc.Arbitrary<Command>>(2).fill(command('RPUSH', fc.tuple(listKey, elements(1, 6)).map(([k, e]) => [k, ...e]))), // lists grow
  command('LPUSH', fc.tuple(listKey, elements(1, 6)).map(([k, e]) => [k, ...e])),
  command('LPUSHX', fc.tuple(listKey, elements(1, 3)).map(([k, e]) => [k, ...e])),
  command('RPUSHX', fc.tuple(listKey, elements(1, 3)).map(([k, e]) => [k, ...e])),
  command('LINSERT', fc.tuple(listKey, fc.constantFrom<Arg>('BEFORE', 'after', 'AFTER', 'NEAR'), element, element)),
  command('LSET', fc.tuple(listKey, index, element)),
  command('LTRIM', fc.tuple(listKey, index, index)),
  command('LPOP', fc.tuple(listKey, fc.option(popCount, { freq: 2 })).map(([k, c]) => (c === null ? [k] : [k, c]))),
  command('RPOP', fc.tuple(listKey, fc.option(popCount, { freq: 2 })).map(([k, c]) => (c === null ? [k] : [k, c]))),
  command('LREM', fc.tuple(listKey, index, element)),
  command('LMOVE', fc.tuple(listKey, listKey, listEnd, listEnd)),
  command('RPOPLPUSH', fc.tuple(listKey, listKey)),
  mpop('LMPOP', undefined),
  ...blockingPops(failingTimeout),
];
const listReadCommands: fc.Arbitrary<Command>[] = [
  command('LLEN', fc.tuple(listKey)),
  command('LINDEX', fc.tuple(listKey, index)),
  command('LRANGE', fc.tuple(listKey, index, index)),
  command('LPOS', fc.tuple(listKey, element, fc.array(lposOption, { maxLength: 3 })).map(([k, e, o]) => [k, e, ...flat(o)])),
  listEncodingCommand,
];
const listArityErrors = exactly([['LPUSH', 'a'], ['LPOP'], ['LPOP', 'a', '1', '2'], ['LRANGE', 'a', '0'], ['LINSERT', 'a', 'before', 'b'], ['LSET', 'a', '0'],
  ['LMOVE', 'a', 'b', 'left'], ['LMPOP', '1', 'a'], ['BLPOP', 'a'], ['BLMPOP', '0', '1', 'a'], ['BLMOVE', 'a', 'b', 'left', 'left'], ['LPOS', 'a']]);

// ---- execution and comparison -----------------------------------------------------------------

interface Resolved { args: Buffer[]; pause: boolean; expires: boolean }
function resolve(args: readonly Arg[], nowMs: number): Resolved {
  let pause = false;
  let expires = false;
  const out = args.map((arg): Buffer => {
    if (typeof arg === 'string') return Buffer.from(arg, 'latin1');
    if (Buffer.isBuffer(arg)) return arg;
    if (arg.kind === 'tinyPx') { pause = true; expires = true; return Buffer.from('5'); }
    if (arg.kind === 'past') { expires = true; return Buffer.from(arg.text); }
    if (arg.kind === 'absMs') { expires ||= arg.offsetMs < 0; return Buffer.from(String(nowMs + arg.offsetMs)); }
    expires ||= arg.offsetS < 0;
    return Buffer.from(String(Math.floor(nowMs / 1000) + arg.offsetS));
  });
  return { args: out, pause, expires };
}
const show = (args: readonly Buffer[]) => args.map((a) => JSON.stringify(a.toString('latin1'))).join(' ');
const bytes = (text: string) => Buffer.from(text, 'latin1');

function compare(mode: Mode, args: readonly Buffer[], expected: Reply, actual: Reply, sawExpiry: boolean): boolean | 'if-set' | 'if-hinted' | 'if-list' {
  if (expected.type === 'error' || actual.type === 'error') return sameReply(expected, actual);
  const name = args[0]!.toString('latin1').toLowerCase();
  switch (mode) {
    case 'exact': case 'typeProbe': return sameReply(expected, actual);
    case 'ttl': {
      if (expected.type !== 'integer' || actual.type !== 'integer') return sameReply(expected, actual);
      if (expected.value < 0n || actual.value < 0n) return expected.value === actual.value;
      const clampedFrom = TTL_CLAMPED_FROM[name];
      if (clampedFrom !== undefined && expected.value > clampedFrom && actual.value > clampedFrom) return true;
      const gap = expected.value - actual.value;
      return (gap < 0n ? -gap : gap) <= (TTL_TOLERANCE[name] ?? 0n);
    }
    case 'keys':
      if (expected.type !== 'array' || actual.type !== 'array') return sameReply(expected, actual);
      return keySet(expected).join() === keySet(actual).join();
    case 'shape': return expected.type === actual.type;
    case 'dbsize': return sawExpiry ? expected.type === actual.type : sameReply(expected, actual);
    case 'unordered': return unorderedSame(expected, actual);
    case 'pairs': return pairsSame(expected, actual);
    case 'random': return randomSame(args, expected, actual);
    case 'encoding': return encodingSame(expected, actual);
    case 'dump': return dumpSame(expected, actual);
  }
}

async function scanAll(client: RawClient, options: Buffer[]): Promise<Reply> {
  return scanPages(client, (cursor) => [bytes('SCAN'), bytes(cursor), ...options], 'SCAN');
}

/** Every page of a SCAN-like command from cursor 0 back to 0, items concatenated; an error as is. */
async function scanPages(client: RawClient, request: (cursor: string) => Buffer[], what: string): Promise<Reply> {
  const found: Reply[] = [];
  let cursor = '0';
  for (let page = 0; page < SCAN_PAGES_MAX; page++) {
    const reply = await client.send(request(cursor));
    if (reply.type === 'error') return reply;
    const [next, items] = replyItems(reply);
    if (next === undefined || items === undefined) throw new Error(`bad ${what} reply ${formatReply(reply)}`);
    cursor = replyBytes(next).toString();
    found.push(...replyItems(items));
    if (cursor === '0') return { type: 'array', value: found };
  }
  throw new Error(`${what} did not finish within ${SCAN_PAGES_MAX} pages (last cursor ${cursor})`);
}

class Mismatch extends Error {}

/**
 * A lone HRANDFIELD / SRANDMEMBER: every pick of tskv's reply is in the key on the oracle (the
 * two servers hold the same content), with its value for WITHVALUES. A reason, or undefined.
 */
async function randomPicksMissing(oracle: RawClient, args: readonly Buffer[], actual: Reply): Promise<string | undefined> {
  const picks = args.length === 2
    ? (actual.type === 'bulk' ? [{ part: actual.value, value: undefined }] : [])
    : randomPicks(actual, args.length === 4) ?? [];
  if (picks.length === 0) return undefined;
  const name = args[0]!.toString('latin1').toLowerCase();
  const lookup = name === 'hrandfield' ? 'HMGET' : name === 'zrandmember' ? 'ZMSCORE' : 'SMISMEMBER';
  const reply = await oracle.send([bytes(lookup), args[1]!, ...picks.map((pick) => pick.part)]);
  const found = replyItems(reply);
  for (const [index, pick] of picks.entries()) {
    const item = found[index];
    const present = lookup === 'SMISMEMBER' ? item?.type === 'integer' && item.value === 1n : item?.type === 'bulk' || item?.type === 'double';
    if (!present) return `${JSON.stringify(pick.part.toString('latin1'))} is not in the key`;
    if (pick.value !== undefined && item !== undefined && !replyBytes(item).equals(pick.value)) return `${JSON.stringify(pick.part.toString('latin1'))} has another value`;
  }
  return undefined;
}

const DUMP_SCRATCH_KEY = bytes('{differential}dump-scratch');

/**
 * A lone DUMP of a hash, set or list: tskv's payload RESTOREs in the oracle and in tskv, and the
 * oracle's (listpack, intset, quicklist) in tskv, each to the content the key holds there. A
 * reason, or undefined.
 */
async function dumpRestoreFailure(oracle: RawClient, target: RawClient, key: Buffer, payloads: { redis: Buffer; tskv: Buffer }): Promise<string | undefined> {
  const list = [1, 10, 14, 18].includes(payloads.redis[0]!);
  const zset = [3, 5, 12, 17].includes(payloads.redis[0]!);
  const read = list ? 'LRANGE' : zset ? 'ZRANGE' : payloads.redis[0] === 4 || payloads.redis[0] === 16 ? 'HGETALL' : 'SMEMBERS';
  const readArgs = (name: Buffer) => (list ? [bytes(read), name, bytes('0'), bytes('-1')] : zset ? [bytes(read), name, bytes('0'), bytes('-1'), bytes('WITHSCORES')] : [bytes(read), name]);
  const trials = [['redis', oracle, 'tskv'], ['tskv', target, 'tskv'], ['tskv', target, 'redis']] as const;
  for (const [name, client, source] of trials) {
    const restored = await client.send([bytes('RESTORE'), DUMP_SCRATCH_KEY, bytes('0'), payloads[source], bytes('REPLACE')]);
    if (restored.type !== 'simple') return `${name} answered RESTORE of ${source}'s payload with ${formatReply(restored)}`;
    const [copy, original] = [await client.send(readArgs(DUMP_SCRATCH_KEY)), await client.send(readArgs(key))];
    await client.send([bytes('DEL'), DUMP_SCRATCH_KEY]);
    const same = read === 'HGETALL' ? pairsSame(original, copy) : read === 'LRANGE' || read === 'ZRANGE' ? sameReply(original, copy) : unorderedSame(original, copy);
    if (!same) return `${name} restored ${source}'s payload as ${formatReply(copy)}, the key holds ${formatReply(original)}`;
  }
  return undefined;
}

/** intsetEntriesMax: the run's set-max-intset-entries (see encodingSame, 'if-hinted'). */
async function runSteps(oracle: RawClient, target: RawClient, steps: readonly Step[], intsetEntriesMax: number): Promise<void> {
  const transcript: string[] = [];
  let sawExpiry = false;
  let pendingEncoding: { type: 'set' | 'list'; text: string } | undefined; // an OBJECT ENCODING accepted only if the TYPE after it says that type
  let sawHintedSadd = false; // an SADD of more arguments than set-max-intset-entries ran
  const fail = (reason: string): never => {
    throw new Mismatch(`${reason}\ntranscript (redis replies):\n  ${transcript.join('\n  ')}`);
  };
  const check = (mode: Mode, args: Buffer[], expected: Reply, actual: Reply) => {
    transcript.push(`${show(args)}  ->  redis ${formatReply(expected)}`);
    const own = args[0]!.toString() === '(exec)' ? args.slice(1) : args;
    const verdict = compare(mode, own, expected, actual, sawExpiry);
    if (expected.type === 'integer' && own[0]!.toString('latin1').toLowerCase() === 'sadd' && own.length - 2 > intsetEntriesMax) sawHintedSadd = true;
    if (verdict === 'if-hinted' && !sawHintedSadd) fail(`reply differs for ${show(args)} (no SADD of more than ${intsetEntriesMax} members ran)\n  redis: ${formatReply(expected)}\n  tskv:  ${formatReply(actual)}`);
    if (verdict === false) fail(`reply differs for ${show(args)}\n  redis: ${formatReply(expected)}\n  tskv:  ${formatReply(actual)}`);
    if (pendingEncoding !== undefined) {
      if (mode !== 'typeProbe') throw new Error(`harness: OBJECT ENCODING without its TYPE probe before ${show(args)}`);
      if (!(expected.type === 'simple' && expected.value === pendingEncoding.type)) fail(`reply differs for ${pendingEncoding.text} (a ${formatReply(expected)}, not a ${pendingEncoding.type})`);
      pendingEncoding = undefined;
    }
    if (verdict === 'if-set' || verdict === 'if-list') {
      pendingEncoding = { type: verdict === 'if-set' ? 'set' : 'list', text: `${show(args)}\n  redis: ${formatReply(expected)}\n  tskv:  ${formatReply(actual)}` };
    }
  };
  /** A command on both servers; alone (not queued, not pipelined), with the checks that read more. */
  const both = async (command: Command, alone = false) => {
    const { args, pause, expires } = resolve(command.args, Date.now());
    sawExpiry ||= expires;
    const expected = await oracle.send(args);
    const actual = await target.send(args);
    check(command.mode, args, expected, actual);
    if (alone && command.mode === 'random' && actual.type !== 'error') {
      const missing = await randomPicksMissing(oracle, args, actual);
      if (missing !== undefined) fail(`tskv's reply to ${show(args)} is ${formatReply(actual)}: ${missing}`);
    }
    if (alone && command.mode === 'dump' && expected.type === 'bulk' && actual.type === 'bulk' && actual.value[0] !== 0) {
      const failure = await dumpRestoreFailure(oracle, target, args[1]!, { redis: expected.value, tskv: actual.value });
      if (failure !== undefined) fail(`DUMP ${show(args.slice(1))}: ${failure}`);
    }
    if (pause) await new Promise((r) => setTimeout(r, TINY_PAUSE_MS));
  };
  const spop = async (item: Extract<Step, { kind: 'spop' }>) => {
    const { args } = resolve(['SPOP', item.key, ...(item.count === undefined ? [] : [item.count])], Date.now());
    const key = args[1]!;
    const members = [bytes('SMEMBERS'), key];
    const before = await oracle.send(members);
    check('unordered', members, before, await target.send(members));
    let expected: Reply;
    let actual: Reply;
    if (item.wrap === 'alone') {
      [expected, actual] = [await oracle.send(args), await target.send(args)];
    } else {
      const batch = item.wrap === 'multi' ? [[bytes('MULTI')], args, [bytes('EXEC')]] : [args, [bytes('SCARD'), key]];
      const [mine, theirs] = [await oracle.pipeline(batch), await target.pipeline(batch)];
      if (item.wrap === 'multi') { // MULTI, SPOP (+QUEUED or a queue-time error), EXEC ([reply] or an error)
        check('exact', batch[0]!, mine[0]!, theirs[0]!);
        check('exact', batch[1]!, mine[1]!, theirs[1]!);
        const ran = mine[2]!.type === 'array' && theirs[2]!.type === 'array';
        if (!ran) return check('exact', batch[2]!, mine[2]!, theirs[2]!);
        [expected, actual] = [replyItems(mine[2]!)[0]!, replyItems(theirs[2]!)[0]!];
      } else { // SPOP, then SCARD
        check('exact', batch[1]!, mine[1]!, theirs[1]!);
        [expected, actual] = [mine[0]!, theirs[0]!];
      }
    }
    check('random', args, expected, actual);
    if (actual.type === 'error') return;
    const popped = args.length === 2 ? (actual.type === 'bulk' ? [actual.value] : []) : (randomPicks(actual, false) ?? []).map((pick) => pick.part);
    const held = new Set(keySet(before));
    for (const part of popped) if (!held.has(part.toString('hex'))) fail(`tskv popped ${JSON.stringify(part.toString('latin1'))}, not a member of ${show([key])}`);
    const rest = [...held].filter((hex) => !popped.some((part) => part.toString('hex') === hex)).sort();
    const after = await target.send(members);
    if (keySet(after).join() !== rest.join()) fail(`after tskv's ${show(args)} -> ${formatReply(actual)} the set holds ${formatReply(after)}`);
    const card = [bytes('SCARD'), key];
    check('exact', card, await oracle.send(card), await target.send(card));
    if (popped.length > 0) await both({ args: ['DEL', key], mode: 'exact' }); // the two sets differ now: start over
  };
  for (const item of steps) {
    if (item.kind === 'command') {
      await both(item.command, true);
    } else if (item.kind === 'pipeline') {
      const resolved = item.commands.map((command) => resolve(command.args, Date.now()));
      if (resolved.some((r) => r.expires)) sawExpiry = true;
      const expected = await oracle.pipeline(resolved.map((r) => r.args));
      const actual = await target.pipeline(resolved.map((r) => r.args));
      item.commands.forEach((command, i) => check(command.mode, resolved[i]!.args, expected[i]!, actual[i]!));
    } else if (item.kind === 'scanAll') {
      const { args } = resolve(item.options, Date.now());
      const expected = await scanAll(oracle, args);
      const actual = await scanAll(target, args);
      check('keys', [bytes('SCAN*'), ...args], expected, actual);
    } else if (item.kind === 'elementScanAll') {
      const { args } = resolve([item.key, ...item.options], Date.now());
      const request = (cursor: string) => [bytes(item.name), args[0]!, bytes(cursor), ...args.slice(1)];
      const [expected, actual] = [await scanPages(oracle, request, item.name), await scanPages(target, request, item.name)];
      transcript.push(`${item.name}* ${show(args)}  ->  redis ${formatReply(expected)}`);
      const same = expected.type === 'error' || actual.type === 'error'
        ? sameReply(expected, actual)
        : scannedSet(expected, item.name !== 'SSCAN').join() === scannedSet(actual, item.name !== 'SSCAN').join();
      if (!same) fail(`${item.name} from cursor 0 to 0 differs for ${show(args)}\n  redis: ${formatReply(expected)}\n  tskv:  ${formatReply(actual)}`);
    } else if (item.kind === 'spop') {
      await spop(item);
    } else {
      for (const watched of item.watch) await both({ args: ['WATCH', ...watched], mode: 'exact' });
      for (const command of item.before) await both(command);
      await both({ args: ['MULTI'], mode: 'exact' });
      for (const command of item.queued) await both({ args: command.args, mode: 'exact' }); // +QUEUED or a queue-time error
      const { args } = resolve([item.end], Date.now());
      const expected = await oracle.send(args);
      const actual = await target.send(args);
      if (expected.type === 'array' && actual.type === 'array' && expected.value.length === item.queued.length &&
          actual.value.length === item.queued.length) {
        // EXEC ran: compare each queued command's reply with that command's own mode
        transcript.push(`${show(args)}  ->  (per command below)`);
        item.queued.forEach((queued, i) => {
          const queuedArgs = resolve(queued.args, Date.now()).args;
          check(queued.mode, [bytes('(exec)'), ...queuedArgs], expected.value[i]!, actual.value[i]!);
        });
      } else {
        pendingEncoding = undefined; // nothing ran
        check('exact', args, expected, actual);
      }
      if (item.queued.some((c) => c.args.includes(TINY_PX))) await new Promise((r) => setTimeout(r, TINY_PAUSE_MS));
    }
    if (pendingEncoding !== undefined) throw new Error('harness: a step ended on an OBJECT ENCODING without its TYPE probe');
  }
}

/** DIFF_SETS / DIFF_ZSETS=1 / 0 force set / sorted set commands in / out; by default they are in once tskv knows SADD / ZADD. */
async function targetHas(port: number, command: string, forced: string | undefined): Promise<boolean> {
  if (forced === '0' || forced === '1') return forced === '1';
  const client = await RawClient.connect(port);
  try {
    const info = await client.send(['COMMAND', 'INFO', command]);
    return info.type === 'array' && info.value[0]?.type === 'array';
  } finally {
    client.close();
  }
}

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`differential test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('differential: tskv answers like redis-server', () => {
  let oracle: RealRedis;
  let stopTarget: () => Promise<void>;
  let targetPort: number;

  beforeAll(async () => {
    oracle = await startRealRedis();
    if (process.env['TSKV_DIFF_TARGET'] === 'redis') {
      const second = await startRealRedis();
      targetPort = second.port;
      stopTarget = () => second.stop();
    } else {
      const server = await startServer();
      targetPort = server.port;
      stopTarget = () => server.stop();
    }
  });
  afterAll(async () => {
    await oracle?.stop();
    await stopTarget?.();
  });

  it('gives the same reply to every command of random sequences', async () => {
    const seedText = process.env['DIFF_SEED'];
    const withSets = await targetHas(targetPort, 'sadd', process.env['DIFF_SETS']);
    const withZsets = await targetHas(targetPort, 'zadd', process.env['DIFF_ZSETS']);
    console.log(`differential: set commands ${withSets ? 'included' : 'left out (tskv lacks SADD, or DIFF_SETS=0)'}`);
    console.log(`differential: sorted set commands ${withZsets ? 'included' : 'left out (tskv lacks ZADD, or DIFF_ZSETS=0)'}`);
    let sequences = 0;
    await fc.assert(
      fc.asyncProperty(runs(withSets, withZsets), async ({ resp3, config, steps }) => {
        sequences++;
        const [redisClient, tskvClient] = await Promise.all([RawClient.connect(oracle.port), RawClient.connect(targetPort)]);
        try {
          for (const client of [redisClient, tskvClient]) {
            if (resp3) {
              const hello = await client.send(['HELLO', '3']);
              if (hello.type !== 'map') throw new Mismatch(`HELLO 3 answered ${formatReply(hello)}`);
            }
            const flushed = await client.send(['FLUSHALL']);
            if (flushed.type !== 'simple') throw new Mismatch(`FLUSHALL answered ${formatReply(flushed)}`);
            const configured = await client.send(config.args);
            if (configured.type !== 'simple') throw new Mismatch(`${config.args.join(' ')} answered ${formatReply(configured)}`);
          }
          await runSteps(redisClient, tskvClient, steps, config.intsetEntriesMax);
        } finally {
          redisClient.close();
          tskvClient.close();
        }
      }),
      {
        interruptAfterTimeLimit: RUN_TIME_MS,
        numRuns: 100_000,
        ...(seedText === undefined ? {} : { seed: Number(seedText) }),
      },
    );
    console.log(`differential: ${sequences} random sequences agreed with redis-server`);
    expect(sequences).toBeGreaterThan(0);
  }, RUN_TIME_MS + 30_000);
});

// ---- CONFIG SET / GET ---------------------------------------------------------------------------

// Each setting with values to try: valid ones (CONFIG GET then shows Redis's echo) and refused
// ones (the error text). Not here: set-max-listpack-* (Redis 7.2 names, unknown to 7.0.15),
// proto-max-bulk-len past 512mb (tskv's bound, refused with that bound), and echoes of values past
// 2^53 - 1, which tskv keeps as 2^53 - 1 (config-values.ts).
const CONFIG_VALUES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['appendfsync', ['EVERYSEC', 'sometimes', 'no', 'always']],
  ['timeout', ['abc', '-1', '2147483648', '01', '+1', ' 1', '30', '0']],
  ['maxmemory', ['100mb', '1GB', '5k', '7KB', '', 'mb', '1.5gb', '-1', ' 1', '1tb', '0']],
  ['maxmemory-policy', ['lru', 'ALLKEYS-LRU', 'volatile-ttl', 'noeviction']],
  ['maxmemory-samples', ['0', '10', 'x', '5']],
  ['hash-max-listpack-entries', ['256', '1kb', '-1', 'x', '9223372036854775808', '512']],
  ['hash-max-ziplist-entries', ['100', '512']],
  ['hash-max-listpack-value', ['1kb', '-1', '64']],
  ['hash-max-ziplist-value', ['2048', '64']],
  ['set-max-intset-entries', ['1000', '-5', '512']],
  ['list-max-listpack-size', ['-3', '2147483648', '-2147483648', '-2']],
  ['list-max-ziplist-size', ['8', '-2']],
  ['list-compress-depth', ['2', '-1', '0']],
  ['zset-max-listpack-entries', ['64', '128']],
  ['zset-max-ziplist-entries', ['64', '128']],
  ['zset-max-listpack-value', ['2kb', '64']],
  ['zset-max-ziplist-value', ['1gb', '64']],
  ['save', ['900 1 300 10', '3600', '0 1', '3600 -1', '3600 1  300 10', 'abc 1', '+5 3', '']],
  ['lazyfree-lazy-eviction', ['YES', 'maybe', 'no']],
  ['lazyfree-lazy-expire', ['yes', '1', 'no']],
  ['lazyfree-lazy-server-del', ['yes', 'no']],
  ['lazyfree-lazy-user-del', ['yes', 'no']],
  ['lazyfree-lazy-user-flush', ['yes', 'no']],
  ['notify-keyspace-events', ['KEA', 'Exm$g', 'KEQ', 'AKEmn', 'lshzxetd', 'k', '']],
  ['client-output-buffer-limit', [
    'pubsub 1mb 2k 5', 'PUBSUB 1MB 2KB 0', 'pubsub 1mb 2k', 'master 1 1 1', 'pubsub x 1 1', 'pubsub 1 1 -1', 'pubsub 1 1 1x', 'replica 1 1 1 slave 2 2 2',
    'normal 1gb 0 0', '', 'normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60',
  ]],
  ['activerehashing', ['no', 'yes']],
  ['hz', ['0', '1000', '-1', 'x', '25', '10']],
  ['proto-max-bulk-len', ['1000', 'x', '64mb', '512mb']],
];
const CONFIG_COMMANDS: string[][] = [
  ...CONFIG_VALUES.flatMap(([name, values]) => values.flatMap((value) => [['CONFIG', 'SET', name, value], ['CONFIG', 'GET', name]])),
  ['CONFIG', 'SET', 'TIMEOUT', 'abc'], ['CONFIG', 'SET', 'DATABASES', '3'], ['CONFIG', 'SET', 'NOSUCH', '1'],
  ['CONFIG', 'SET', 'timeout', '1', 'timeout', '2'], ['CONFIG', 'SET', 'timeout', '1', 'save'], ['CONFIG', 'SET', 'hz', '30', 'save', 'bad'],
  ['CONFIG', 'SET', 'hash-max-ziplist-entries', '7', 'hash-max-listpack-entries', '9'], ['CONFIG', 'GET', 'hash-max-ziplist-entries'],
  ['CONFIG', 'GET', 'hz'], ['CONFIG', 'GET', 'MAXMEMORY'], ['CONFIG', 'GET', 'Hash-Max-Ziplist-Value'], ['CONFIG', 'GET', 'maxmemory', 'maxmemory'],
  ['CONFIG', 'GET', 'hash-max-*'], ['CONFIG', 'GET', 'zset-max-*'], ['CONFIG', 'GET', 'list-*'], ['CONFIG', 'GET', 'lazyfree-*'],
  ['CONFIG', 'GET', '*ziplist*'], ['CONFIG', 'GET', 'notify*'], ['CONFIG', 'GET', 'LAZYFREE-LAZY-E*'],
];

/** A CONFIG GET glob's reply as sorted name=value lines (each server lists in its own order). */
function configPairs(reply: Reply): string[] {
  const items = reply.type === 'map' ? reply.value.flat() : replyItems(reply);
  const lines: string[] = [];
  for (let index = 0; index + 1 < items.length; index += 2) lines.push(`${replyBytes(items[index]!).toString()}=${replyBytes(items[index + 1]!).toString()}`);
  return lines.sort();
}

describe.skipIf(skipReason !== undefined)('differential: CONFIG SET and CONFIG GET answer like redis-server', () => {
  let oracle: RealRedis;
  let stopTarget: () => Promise<void>;
  let targetPort: number;

  beforeAll(async () => {
    oracle = await startRealRedis();
    const server = await startServer();
    targetPort = server.port;
    stopTarget = () => server.stop();
  });
  afterAll(async () => {
    await oracle?.stop();
    await stopTarget?.();
  });

  it.each([2, 3])('gives the same replies to the same CONFIG commands, in RESP%i', async (protocol) => {
    const [redisClient, tskvClient] = await Promise.all([RawClient.connect(oracle.port), RawClient.connect(targetPort)]);
    try {
      for (const client of [redisClient, tskvClient]) await client.send(['HELLO', String(protocol)]);
      const differences: string[] = [];
      for (const args of CONFIG_COMMANDS) {
        const [expected, actual] = [await redisClient.send(args), await tskvClient.send(args)];
        const glob = args[1] === 'GET' && args.slice(2).some((arg) => /[*?[]/.test(arg));
        const same = glob && expected.type !== 'error' ? configPairs(expected).join() === configPairs(actual).join() : sameReply(expected, actual);
        if (!same) differences.push(`${show(args.map((arg) => Buffer.from(arg)))}\n  redis: ${formatReply(expected)}\n  tskv:  ${formatReply(actual)}`);
      }
      expect(differences.join('\n')).toBe('');
    } finally {
      redisClient.close();
      tskvClient.close();
    }
  });
});
