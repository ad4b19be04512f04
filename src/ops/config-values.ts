// src/ops/config-values.ts: how redis-server 7.0 reads and prints each kind of configuration value,
// with its refusals word for word (src/config.c: numericParseString, numericBoundaryCheck,
// boolConfigSet, enumConfigSet, setConfigSaveOption; src/util.c memtoull; src/notify.c).
//
//   kind      accepts                                  refuses with
//   integer   string2ll: -?[1-9][0-9]* or 0             argument couldn't be parsed into an integer
//   memory    digits + b k kb m mb g gb (any case)      argument must be a memory value
//   either    outside [min, max]                        argument must be between MIN and MAX inclusive
//   yes/no    yes, no (any case)                        argument must be 'yes' or 'no'
//   enum      one of the names (any case)               argument(s) must be one of the following: a, b
//   save      "" or pairs "seconds changes" ...         Invalid save parameters
//   events    letters of Ag$lshzxeKEtmdn                Invalid event class character. Use '...'.
// Invariants:
// - Every parser returns the value or throws InvalidValue whose message is Redis's reason, which
//   CONFIG SET prints after "CONFIG SET failed (possibly related to argument 'name') - ".
// - A number is accepted in Redis's range (so its refusals read as Redis's), then within tskv's
//   own `cap` where tskv has a tighter bound (proto-max-bulk-len: 512mb; the text names the cap).
//   Values are JS numbers: one past 2^53 - 1 (a 64-bit Redis range) is kept as 2^53 - 1.
// - format* gives what CONFIG GET prints: memory values in bytes, events in Redis's letter order;
//   formatMemory gives what CONFIG REWRITE writes (100mb).

export class InvalidValue extends Error {
  override name = 'InvalidValue';
  readonly code = 'ERR_CONFIG_VALUE';
}

export const INT_MAX = 2 ** 31 - 1;
export const INT_MIN = -(2 ** 31);
export const UINT_MAX = 2 ** 32 - 1;
export const LONG_MAX = 2n ** 63n - 1n; // also LLONG_MAX: Redis runs on LP64
export const ULLONG_MAX = 2n ** 64n - 1n;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = LONG_MAX;
const UINT64_MOD = 2n ** 64n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Redis's string2ll: no sign but '-', no spaces, no leading zeros, within 64 bits. */
function string2ll(text: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

const MEMORY_UNITS = new Map<string, bigint>([['', 1n], ['b', 1n], ['k', 1000n], ['kb', 1024n], ['m', 1000n ** 2n], ['mb', 1024n ** 2n], ['g', 1000n ** 3n], ['gb', 1024n ** 3n]]);

/** Redis's memtoull: digits (none reads as 0, as strtoull does), then a unit; wraps at 2^64. */
function memtoull(text: string): bigint | undefined {
  const match = /^([0-9]*)(.*)$/s.exec(text);
  const multiplier = MEMORY_UNITS.get((match?.[2] ?? '-').toLowerCase());
  if (match === null || multiplier === undefined || (match[1] ?? '').length >= 128) return undefined;
  const digits = match[1] === '' ? 0n : BigInt(match[1] as string);
  const clamped = digits >= UINT64_MOD ? UINT64_MOD - 1n : digits; // strtoull saturates
  return (clamped * multiplier) % UINT64_MOD;
}

export interface NumberSpec {
  min: number | bigint; // Redis's range
  max: number | bigint;
  cap?: number; // tskv's own upper bound, tighter than Redis's
  memory?: boolean; // takes units (100mb), prints bytes
}

const between = (min: number | bigint, max: number | bigint) => new InvalidValue(`argument must be between ${min} and ${max} inclusive`);

export function parseNumber(text: string, spec: NumberSpec): number {
  const value = spec.memory ? memtoull(text) : string2ll(text);
  if (value === undefined) throw new InvalidValue(spec.memory ? 'argument must be a memory value' : "argument couldn't be parsed into an integer");
  if (value < BigInt(spec.min) || value > BigInt(spec.max)) throw between(spec.min, spec.max);
  if (spec.cap !== undefined && value > BigInt(spec.cap)) throw between(spec.min, spec.cap);
  return Number(value > SAFE_MAX ? SAFE_MAX : value < -SAFE_MAX ? -SAFE_MAX : value);
}

/** rewriteConfigFormatMemory: CONFIG REWRITE writes 1gb, 100mb, 64kb, or bytes. */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

export function parseYesNo(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower !== 'yes' && lower !== 'no') throw new InvalidValue("argument must be 'yes' or 'no'");
  return lower === 'yes';
}

export const formatYesNo = (value: boolean): string => (value ? 'yes' : 'no');

/** One of `choices` (Redis's order, which the error lists), matched in any case. */
export function parseEnum<T extends string>(text: string, choices: readonly T[]): T {
  const lower = text.toLowerCase();
  const found = choices.find((choice) => choice === lower);
  if (found === undefined) throw new InvalidValue(`argument(s) must be one of the following: ${choices.join(', ')}`);
  return found;
}

export interface SavePoint {
  seconds: number;
  changes: number;
}

/** strtoll as setConfigSaveOption uses it: leading spaces and a sign allowed; '' reads as 0. */
function strtollWhole(word: string): number | undefined {
  if (word === '') return 0;
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(word)) return undefined;
  const value = BigInt(word.trim());
  return Number(value > INT64_MAX ? INT64_MAX : value < INT64_MIN ? INT64_MIN : value);
}

/** `save` as Redis 7.0: "" is none; otherwise words split on single spaces, in pairs, seconds >= 1, changes >= 0. */
export function parseSave(text: string): SavePoint[] {
  if (text === '') return [];
  const words = text.split(' ');
  const numbers = words.map(strtollWhole);
  const valid = words.length % 2 === 0 && numbers.every((value, index) => value !== undefined && value >= (index % 2 === 0 ? 1 : 0));
  if (!valid) throw new InvalidValue('Invalid save parameters');
  const points: SavePoint[] = [];
  for (let index = 0; index < numbers.length; index += 2) points.push({ seconds: numbers[index] as number, changes: numbers[index + 1] as number });
  return points;
}

export const formatSave = (points: readonly SavePoint[]): string => points.map((point) => `${point.seconds} ${point.changes}`).join(' ');

// notify-keyspace-events: src/server.h NOTIFY_* bits and src/notify.c's letters.
export const KEYSPACE_EVENT = {
  keyspace: 1 << 0, keyevent: 1 << 1, generic: 1 << 2, string: 1 << 3, list: 1 << 4, set: 1 << 5, hash: 1 << 6,
  zset: 1 << 7, expired: 1 << 8, evicted: 1 << 9, stream: 1 << 10, keyMiss: 1 << 11, module: 1 << 13, new: 1 << 14,
} as const;
const E = KEYSPACE_EVENT;
export const KEYSPACE_EVENTS_ALL = E.generic | E.string | E.list | E.set | E.hash | E.zset | E.expired | E.evicted | E.stream | E.module;
const EVENT_LETTERS: ReadonlyArray<readonly [string, number]> = [
  ['g', E.generic], ['$', E.string], ['l', E.list], ['s', E.set], ['h', E.hash], ['z', E.zset], ['x', E.expired],
  ['e', E.evicted], ['t', E.stream], ['d', E.module], ['n', E.new],
];
const EVENT_LETTERS_AFTER: ReadonlyArray<readonly [string, number]> = [['K', E.keyspace], ['E', E.keyevent], ['m', E.keyMiss]];

/** keyspaceEventsStringToFlags; the letters are case-sensitive. */
export function parseKeyspaceEvents(text: string): number {
  let flags = 0;
  for (const letter of text) {
    const bit = letter === 'A' ? KEYSPACE_EVENTS_ALL : [...EVENT_LETTERS, ...EVENT_LETTERS_AFTER].find(([name]) => name === letter)?.[1];
    if (bit === undefined) throw new InvalidValue("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    flags |= bit;
  }
  return flags;
}

/** keyspaceEventsFlagsToString: "A" for every class, else the class letters; then K, E, m. */
export function formatKeyspaceEvents(flags: number): string {
  let text = '';
  if ((flags & KEYSPACE_EVENTS_ALL) === KEYSPACE_EVENTS_ALL) text = 'A';
  else for (const [letter, bit] of EVENT_LETTERS) if (flags & bit) text += letter;
  for (const [letter, bit] of EVENT_LETTERS_AFTER) if (flags & bit) text += letter;
  return text;
}

// client-output-buffer-limit: src/config.c updateClientOutputBufferLimit, Redis 7.0. Classes in
// CONFIG GET's order; 'replica' is read as 'slave', 'master' is refused.
export interface OutputBufferLimit {
  hardBytes: number; // 0 = none
  softBytes: number; // 0 = none
  softSeconds: number; // how long the soft limit may be passed
}
export interface OutputBufferLimits {
  normal: OutputBufferLimit;
  slave: OutputBufferLimit;
  pubsub: OutputBufferLimit;
}
const OUTPUT_BUFFER_CLASSES = ['normal', 'slave', 'pubsub'] as const;

/** Redis's defaults: normal 0 0 0, slave 256mb 64mb 60, pubsub 32mb 8mb 60. */
export function defaultOutputBufferLimits(): OutputBufferLimits {
  return {
    normal: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
    slave: { hardBytes: 256 * 1024 * 1024, softBytes: 64 * 1024 * 1024, softSeconds: 60 },
    pubsub: { hardBytes: 32 * 1024 * 1024, softBytes: 8 * 1024 * 1024, softSeconds: 60 },
  };
}

/** `<class> <hard> <soft> <soft seconds>` groups; all are checked before any applies (the others keep `current`). */
export function parseOutputBufferLimits(text: string, current: OutputBufferLimits): OutputBufferLimits {
  const words = text.split(' ').filter((word) => word !== '');
  if (words.length % 4 !== 0) throw new InvalidValue('Wrong number of arguments in buffer limit configuration.');
  const next: OutputBufferLimits = { normal: { ...current.normal }, slave: { ...current.slave }, pubsub: { ...current.pubsub } };
  for (let index = 0; index < words.length; index += 4) {
    const name = (words[index] as string).toLowerCase();
    const kind = name === 'replica' ? 'slave' : OUTPUT_BUFFER_CLASSES.find((known) => known === name);
    if (kind === undefined) throw new InvalidValue('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(words[index + 1] as string);
    const soft = memtoull(words[index + 2] as string);
    const seconds = strtollWhole(words[index + 3] as string);
    if (hard === undefined || soft === undefined || seconds === undefined || seconds < 0) {
      throw new InvalidValue('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    const bytes = (value: bigint) => Number(value > SAFE_MAX ? SAFE_MAX : value);
    next[kind] = { hardBytes: bytes(hard), softBytes: bytes(soft), softSeconds: seconds };
  }
  return next;
}

/** getConfigClientOutputBufferLimitOption: every class, bytes. */
export function formatOutputBufferLimits(limits: OutputBufferLimits): string {
  return OUTPUT_BUFFER_CLASSES.map((kind) => `${kind} ${limits[kind].hardBytes} ${limits[kind].softBytes} ${limits[kind].softSeconds}`).join(' ');
}
