// src/types/timeseries/arg-scan.ts: how RedisTimeSeries 1.12 finds and reads its arguments
// (deps/RedisModulesSDK rmutil/util.c, query_language.c parseTimestamp). `args` is always the
// whole command as received, args[0] being the command name, so indexes match RTS's argv.
// Invariants:
// - argIndex is RMUtil_ArgIndex: the FIRST argument anywhere (key names and label values
//   included) equal to the keyword, ASCII case-insensitively, or -1. Options are found by
//   keyword, never by position, and unknown arguments are ignored.
// - Values compared with strcasecmp/strcmp in RTS are C strings: only the bytes before the first
//   NUL count (cStringEquals*). Lengths are compared first where RTS does (argIndex, enum names).
// - Integers are Redis's string2ll (no spaces, no '+', no leading zeros, int64 range); timestamps
//   are such integers >= 0, returned as JS numbers (exact up to 2^53).
import { string2ll } from '../number-text.js';

/** ASCII lower-case of a byte. */
function lower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

/** True if `arg` equals `word` (ASCII), ignoring case; the lengths must be equal. */
export function equalsIgnoreCase(arg: Buffer, word: string): boolean {
  if (arg.length !== word.length) return false;
  for (let index = 0; index < arg.length; index++) {
    if (lower(arg[index] as number) !== lower(word.charCodeAt(index))) return false;
  }
  return true;
}

/** The bytes of `arg` up to its first NUL (what C string functions see). */
export function cString(arg: Buffer): Buffer {
  const end = arg.indexOf(0);
  return end < 0 ? arg : arg.subarray(0, end);
}

/** strcasecmp(arg, word) == 0. */
export function cStringEqualsIgnoreCase(arg: Buffer, word: string): boolean {
  return equalsIgnoreCase(cString(arg), word);
}

/** strcmp(arg, word) == 0. */
export function cStringEquals(arg: Buffer, word: string): boolean {
  const text = cString(arg);
  return text.length === word.length && text.toString('latin1') === word;
}

/** RMUtil_ArgIndex: the first index whose argument equals `keyword` ignoring case, or -1. */
export function argIndex(args: readonly Buffer[], keyword: string): number {
  for (let index = 0; index < args.length; index++) {
    if (equalsIgnoreCase(args[index] as Buffer, keyword)) return index;
  }
  return -1;
}

/** RedisModule_StringToLongLong: an int64, or undefined. */
export function parseLongLong(arg: Buffer | undefined): bigint | undefined {
  return arg === undefined ? undefined : string2ll(arg);
}

/** A long long as a JS number (exact up to 2^53; counts, sizes, retention), or undefined. */
export function parseIntegerArg(arg: Buffer | undefined): number | undefined {
  const value = parseLongLong(arg);
  if (value === undefined) return undefined;
  return Number(value);
}

/** RTS parseTimestamp: an integer >= 0 (as a JS number), else undefined. */
export function parseTimestampArg(arg: Buffer | undefined): number | undefined {
  const value = parseLongLong(arg);
  if (value === undefined || value < 0n) return undefined;
  return Number(value);
}

/** Label names and values are kept as latin1 strings, so every byte round-trips. */
export function argText(arg: Buffer): string {
  return arg.toString('latin1');
}
