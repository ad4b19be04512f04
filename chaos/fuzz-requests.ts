// chaos/fuzz-requests.ts: seeded generator of hostile request bytes for chaos/hostile.test.ts.
// Four shapes, mixed: random bytes over a RESP-heavy alphabet; well-formed commands from a
// dictionary with random arguments; well-formed commands mutated (a byte flipped, cut short, a
// length replaced by a huge, negative or non-numeric one, a byte inserted); inline commands.
// Invariants:
// - The dictionary holds no command that may legitimately destroy or move data outside the fuzz
//   keys, change server configuration, kill clients or stop the server (FLUSHALL, FLUSHDB,
//   SWAPDB, MOVE, RENAME, CONFIG, CLIENT KILL, SHUTDOWN, DEBUG, ...), so "stored data unchanged"
//   can be checked on keys outside the fuzz namespace (FUZZ_KEY_PREFIX).
// - Numeric arguments stay small: SETRANGE / GETRANGE offsets and EXPIRE times come from a short
//   list, so a well-formed fuzz command never asks for a legitimate 512 MiB allocation.
import { encodeCommand } from './resp-client.js';
import type { Rng } from './history.js';

export const FUZZ_KEY_PREFIX = 'fz:';

const COMMANDS: readonly (readonly string[])[] = [
  ['GET', 'k'], ['SET', 'k', 'v'], ['SET', 'k', 'v', 'EX', 'n'], ['SET', 'k', 'v', 'NX'], ['SET', 'k', 'v', 'XX', 'GET'],
  ['DEL', 'k', 'k'], ['INCR', 'k'], ['DECR', 'k'], ['INCRBY', 'k', 'n'], ['INCRBYFLOAT', 'k', 'n'], ['APPEND', 'k', 'v'],
  ['STRLEN', 'k'], ['EXISTS', 'k', 'k'], ['TYPE', 'k'], ['TTL', 'k'], ['PTTL', 'k'], ['EXPIRE', 'k', 'n'], ['PERSIST', 'k'],
  ['MGET', 'k', 'k', 'k'], ['MSET', 'k', 'v', 'k', 'v'], ['GETSET', 'k', 'v'], ['SETNX', 'k', 'v'], ['SETEX', 'k', 'n', 'v'],
  ['GETRANGE', 'k', 'n', 'n'], ['SETRANGE', 'k', 'n', 'v'], ['GETDEL', 'k'], ['ECHO', 'v'], ['PING'], ['PING', 'v'],
  ['MULTI'], ['EXEC'], ['DISCARD'], ['WATCH', 'k'], ['UNWATCH'], ['HELLO'], ['HELLO', '3'], ['HELLO', '2'], ['HELLO', 'n'],
  ['CLIENT', 'SETNAME', 'v'], ['CLIENT', 'GETNAME'], ['CLIENT', 'ID'], ['COMMAND', 'COUNT'], ['COMMAND', 'INFO', 'v'],
  ['INFO'], ['INFO', 'v'], ['DBSIZE'], ['SCAN', 'n'], ['SCAN', 'n', 'MATCH', 'v', 'COUNT', 'n'], ['SELECT', 'n'],
  ['QUIT'], ['RESET'], ['AUTH', 'v'], ['AUTH', 'v', 'v'], ['TIME'], ['EXPIRETIME', 'k'], ['OBJECT', 'ENCODING', 'k'],
  ['NOSUCHCOMMAND', 'v'], [''], ['get'], ['sEt', 'k'],
];
const NUMBERS = ['0', '1', '-1', '5', '100', '1000', '-0', '+1', '01', '9223372036854775807', '-9223372036854775808', '9223372036854775808', 'abc', '', '1e5', '3.14', 'nan', 'inf'];
const ALPHABET = Buffer.from('*$+-:_,#!=%~>\r\n\r\n0123456789-  SETGETDELPINGMULTIEXEC\x00\xff"\'\\');
const HUGE_LENGTHS = ['-1', '-2', '0', '2147483647', '2147483648', '4294967296', '536870912', '536870913', '99999999999999999999', 'abc', '', ' 1', '1 ', '0x10'];

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length)]!;
}

function randomBytes(rng: Rng, lengthMax: number): Buffer {
  const length = 1 + Math.floor(rng() * lengthMax);
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = rng() < 0.7 ? pick([...ALPHABET], rng) : Math.floor(rng() * 256);
  return bytes;
}

function argument(template: string, rng: Rng): string | Buffer {
  if (template === 'k') return `${FUZZ_KEY_PREFIX}${Math.floor(rng() * 64)}`;
  if (template === 'n') return pick(NUMBERS, rng);
  if (template === 'v') return rng() < 0.2 ? randomBytes(rng, 32) : pick(['x', '', 'value', '\r\n', '*1', '$-1', 'é'], rng);
  return template;
}

function wellFormed(rng: Rng): Buffer {
  const [name, ...rest] = pick(COMMANDS, rng);
  return encodeCommand([name!, ...rest.map((template) => argument(template, rng))]);
}

function mutate(frame: Buffer, rng: Rng): Buffer {
  const roll = rng();
  if (roll < 0.25) {
    const copy = Buffer.from(frame);
    copy[Math.floor(rng() * copy.length)] = Math.floor(rng() * 256);
    return copy;
  }
  if (roll < 0.45) return frame.subarray(0, Math.floor(rng() * frame.length));
  if (roll < 0.8) {
    const text = frame.toString('latin1');
    const lengths = [...text.matchAll(/[*$](-?\d+)\r\n/g)];
    const target = lengths.length === 0 ? undefined : pick(lengths, rng);
    if (target === undefined || target.index === undefined) return frame;
    const start = target.index + 1;
    return Buffer.from(text.slice(0, start) + pick(HUGE_LENGTHS, rng) + text.slice(start + target[1]!.length), 'latin1');
  }
  const at = Math.floor(rng() * (frame.length + 1));
  return Buffer.concat([frame.subarray(0, at), randomBytes(rng, 4), frame.subarray(at)]);
}

function inline(rng: Rng): Buffer {
  const words = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => {
    const word = argument(pick(['k', 'n', 'v', 'PING', 'GET', 'SET', 'ECHO', '"unbalanced', "'x y'", '"a\\x4"'], rng), rng);
    return Buffer.isBuffer(word) ? word.toString('latin1').replace(/[\r\n]/g, '') : word;
  });
  return Buffer.from(`${words.join(pick([' ', '  ', '\t'], rng))}${pick(['\r\n', '\n', '', '\r'], rng)}`, 'latin1');
}

/** One hostile request: bytes that may or may not be a valid command. */
export function fuzzRequest(rng: Rng): Buffer {
  const roll = rng();
  if (roll < 0.25) return randomBytes(rng, 48);
  if (roll < 0.55) return wellFormed(rng);
  if (roll < 0.85) return mutate(wellFormed(rng), rng);
  return inline(rng);
}
