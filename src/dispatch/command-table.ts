// src/dispatch/command-table.ts: the one command table. Every command family registers its CommandSpecs
// here (defineCommands); dispatch looks names up here and COMMAND / COMMAND DOCS / INFO commandstats
// read it, so arity errors and COMMAND's replies can never disagree with what dispatch does.
// Invariants:
// - Names are lower case and unique; a container (CONFIG, CLIENT, ...) lists its subcommands, each
//   named 'container|sub' in COMMAND's replies, and its own handler answers only when no subcommand
//   matches (it normally throws the unknown-subcommand error).
// - arity follows Redis: N means exactly N words including the name, -N at least N.
import assert from 'node:assert/strict';
import type { RespWriter } from '../../protocol/index.js';
import type { ClientState } from './client-state.js';
import type { ServerState } from './server-state.js';

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'admin' | 'pubsub' | 'noscript' | 'loading' | 'stale'
  | 'fast' | 'no_auth' | 'allow_busy' | 'no_multi' | 'skip_slowlog' | 'blocking' | 'asking';

export interface CommandContext {
  readonly server: ServerState;
  readonly client: ClientState;
  readonly out: RespWriter; // write exactly one reply per command (arrays count as one)
}

export type CommandHandler = (ctx: CommandContext, args: Buffer[]) => void; // args[0] is the command name

export interface CommandSpec {
  name: string;
  arity: number;
  flags: readonly CommandFlag[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  /** Keys found from the arguments (Redis's movable keys, SINTERCARD's numkeys): overrides firstKey .. lastKey. */
  keyPositions?: (args: readonly Buffer[]) => number[];
  group: string;
  summary: string;
  since: string;
  subcommands?: readonly CommandSpec[];
  handler: CommandHandler;
}

export interface CommandEntry {
  spec: CommandSpec;
  fullName: string; // 'get', 'client|setname'
  container: CommandEntry | undefined;
  isWrite: boolean;
  noAuth: boolean;
  /** 0, 1, 2 ... in registration order, subcommands included: an array index for per-command records. */
  index: number;
  /** The lower-case name as bytes, for lookups that compare bytes instead of making a string. */
  nameBytes: Buffer;
  subcommands: Map<string, CommandEntry> | undefined;
}

const table = new Map<string, CommandEntry>();
const byIndex: CommandEntry[] = []; // entry.index -> entry
let entryCount = 0;

/**
 * Top-level commands by the bytes of their name, case-folded (ASCII letters only, as strcasecmp):
 * an open-addressing table of NAME_SLOTS entries, so a lookup hashes and compares the request's
 * bytes without making a string. Names longer than NAME_BYTES_MAX are never commands.
 */
const NAME_SLOTS = 1024;
const NAME_BYTES_MAX = 32;
const bySlot: (CommandEntry | undefined)[] = new Array<CommandEntry | undefined>(NAME_SLOTS).fill(undefined);

function foldByte(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/** FNV-1a over the case-folded bytes, masked to a slot. */
function nameSlot(name: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index++) hash = Math.imul(hash ^ foldByte(name[index]!), 0x01000193);
  return (hash >>> 0) & (NAME_SLOTS - 1);
}

function sameName(entry: CommandEntry, name: Uint8Array): boolean {
  const bytes = entry.nameBytes;
  if (bytes.length !== name.length) return false;
  for (let index = 0; index < name.length; index++) if (bytes[index] !== foldByte(name[index]!)) return false;
  return true;
}

function placeBySlot(entry: CommandEntry): void {
  assert.ok(entry.nameBytes.length <= NAME_BYTES_MAX, `command name ${entry.spec.name} is longer than ${NAME_BYTES_MAX} bytes`);
  assert.ok(table.size < NAME_SLOTS / 2, 'the command name table is over half full');
  for (let slot = nameSlot(entry.nameBytes); ; slot = (slot + 1) & (NAME_SLOTS - 1)) {
    if (bySlot[slot] === undefined) {
      bySlot[slot] = entry;
      return;
    }
  }
}

function makeEntry(spec: CommandSpec, container: CommandEntry | undefined): CommandEntry {
  assert.equal(spec.name, spec.name.toLowerCase(), `command name ${spec.name} must be lower case`);
  assert.ok(Number.isInteger(spec.arity) && spec.arity !== 0, `arity of ${spec.name}`);
  const entry: CommandEntry = {
    spec,
    fullName: container ? `${container.spec.name}|${spec.name}` : spec.name,
    container,
    isWrite: spec.flags.includes('write'),
    noAuth: spec.flags.includes('no_auth'),
    index: entryCount++,
    nameBytes: Buffer.from(spec.name, 'latin1'),
    subcommands: undefined,
  };
  if (spec.subcommands) {
    entry.subcommands = new Map();
    for (const sub of spec.subcommands) {
      assert.ok(!entry.subcommands.has(sub.name), `duplicate subcommand ${entry.fullName}|${sub.name}`);
      entry.subcommands.set(sub.name, makeEntry(sub, entry));
    }
  }
  byIndex[entry.index] = entry;
  return entry;
}

export function defineCommands(specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    assert.ok(!table.has(spec.name), `command ${spec.name} defined twice`);
    const entry = makeEntry(spec, undefined);
    table.set(spec.name, entry);
    placeBySlot(entry);
  }
}

/** Looks a command name up, case-insensitively, without allocating. */
export function lookupCommand(name: Buffer): CommandEntry | undefined {
  if (name.length > NAME_BYTES_MAX || name.length === 0) return undefined;
  for (let slot = nameSlot(name); ; slot = (slot + 1) & (NAME_SLOTS - 1)) {
    const entry = bySlot[slot];
    if (entry === undefined || sameName(entry, name)) return entry;
  }
}


export function lookupSubcommand(container: CommandEntry, name: Buffer): CommandEntry | undefined {
  if (!container.subcommands || name.length > 64) return undefined;
  return container.subcommands.get(name.toString('latin1').toLowerCase());
}

export function lookupCommandByName(fullName: string): CommandEntry | undefined {
  const [head, sub] = fullName.toLowerCase().split('|');
  const entry = table.get(head ?? '');
  if (sub === undefined || entry === undefined) return entry;
  return entry.subcommands?.get(sub);
}

/** The entry registered with this index (MULTI's queue keeps indexes). */
export function commandAt(index: number): CommandEntry {
  const entry = byIndex[index];
  assert.ok(entry !== undefined, `no command with index ${index}`);
  return entry;
}

export function allCommands(): IterableIterator<CommandEntry> {
  return table.values();
}

export function commandCount(): number {
  return table.size;
}

export function arityMatches(spec: CommandSpec, argumentCount: number): boolean {
  return spec.arity > 0 ? argumentCount === spec.arity : argumentCount >= -spec.arity;
}

/** Indexes of the keys in a request (args[0] the command), per the spec (COMMAND GETKEYS). */
export function commandKeyPositions(spec: CommandSpec, args: readonly Buffer[]): number[] {
  if (spec.keyPositions !== undefined) return spec.keyPositions(args);
  if (spec.firstKey <= 0) return [];
  const argumentCount = args.length;
  const last = spec.lastKey < 0 ? argumentCount + spec.lastKey : spec.lastKey;
  const positions: number[] = [];
  for (let index = spec.firstKey; index <= last && index < argumentCount; index += Math.max(1, spec.keyStep)) positions.push(index);
  return positions;
}

/** For tests that rebuild the table. */
export function clearCommandsForTest(): void {
  table.clear();
  bySlot.fill(undefined);
}

/** The entry a full request names (subcommand resolved), or undefined; writes nothing. */
export function resolveEntry(args: readonly Buffer[]): CommandEntry | undefined {
  const name = args[0];
  if (name === undefined) return undefined;
  const entry = lookupCommand(name);
  if (entry === undefined || !entry.subcommands || args.length < 2) return entry;
  return lookupSubcommand(entry, args[1] as Buffer);
}
