// src/commands/server.ts: the server family: CONFIG GET/SET/RESETSTAT/REWRITE, DBSIZE, FLUSHDB,
// FLUSHALL, FUNCTION FLUSH/LIST, SCRIPT FLUSH, DEBUG SLEEP, TIME, LASTSAVE, SAVE, BGSAVE,
// BGREWRITEAOF, SHUTDOWN. INFO is in info.ts, ROLE and WAIT in replication.ts, COMMAND in introspection.ts.
// Invariants:
// - CONFIG GET and CONFIG SET read and change the one ServerConfig; CONFIG SET validates with the
//   same parser as the command line and changes nothing unless every pair is valid.
// - FLUSHDB / FLUSHALL only stage keyspace meta ops (O(1)); dispatch commits them.
import { sealEverySeries } from './timeseries.js';
import { CommandError, ERRORS, unknownSubcommand } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import {
  ConfigError, ConfigValueError, OPTIONS, applyOption, copyConfig, defaultConfig, findOption, limits, parseArguments, type OptionSpec, type ServerConfig,
} from '../ops/config.js';
import { rewriteConfigFile, rewriteOptionsFrom } from '../ops/config-file.js';
import { globMatch } from '../../protocol/index.js';
import { writeHelp } from './client.js';
import { parseInteger } from './arguments.js';

/** CONFIG GET names tskv answers with a constant (Redis settings with one possible value here). */
const FIXED_PARAMETERS: ReadonlyArray<readonly [string, (config: ServerConfig) => string]> = [
  ['appendonly', () => 'yes'],
  ['appendfilename', () => 'appendonly.aof'],
  ['client-query-buffer-limit', () => String(limits.queryBufferBytesMax)],
  ['daemonize', () => 'no'],
  ['io-threads', () => '1'],
  ['latency-tracking', (c) => (c.metrics ? 'yes' : 'no')],
];

/** Every CONFIG GET name, aliases included, with how it reads the running configuration. */
const CONFIG_PARAMETERS: ReadonlyArray<readonly [string, (config: ServerConfig) => string]> = [
  ...OPTIONS.flatMap((option) => [option.name, ...(option.alias === undefined ? [] : [option.alias])].map((name) => [name, option.read] as const)),
  ...FIXED_PARAMETERS,
];

function configRewrite(ctx: CommandContext): void {
  const file = ctx.server.configFile;
  if (file === undefined) throw new CommandError('ERR The server is running without a config file');
  const fileOptions = new Set(OPTIONS.map((option) => option.name));
  const readers = OPTIONS.map((option) => [option.name, option.write ?? option.read] as const);
  try {
    const parse = (flags: string[]) => {
      const parsed = parseArguments(flags);
      if (parsed.kind !== 'run') throw new ConfigError(`not a value: ${flags.join(' ')}`);
      return parsed.config;
    };
    const options = rewriteOptionsFrom(readers, ctx.server.config, defaultConfig(), fileOptions, parse)
      .map((option) => ({ ...option, aliases: OPTIONS.filter((spec) => spec.name === option.name && spec.alias !== undefined).map((spec) => spec.alias as string) }));
    rewriteConfigFile(file, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.server.logger.warn({ file, error: reason }, 'CONFIG REWRITE failed');
    throw new CommandError(`ERR Rewriting config file: ${reason}`);
  }
  ctx.server.logger.info({ file }, 'CONFIG REWRITE executed with success.');
  ctx.out.simple('OK');
}

/** As Redis: a name without glob characters is looked up (and echoed as given), a glob lists every match. */
function configGet(ctx: CommandContext, args: Buffer[]): void {
  const found = new Map<string, string>();
  for (const argument of args.slice(2)) {
    const given = argument.toString('latin1');
    const lower = given.toLowerCase();
    if (!/[[*?]/.test(given)) {
      const read = CONFIG_PARAMETERS.find(([name]) => name === lower)?.[1];
      if (read !== undefined && !found.has(given)) found.set(given, read(ctx.server.config));
      continue;
    }
    for (const [name, read] of CONFIG_PARAMETERS) {
      if (!found.has(name) && globMatch(Buffer.from(lower, 'latin1'), Buffer.from(name))) found.set(name, read(ctx.server.config));
    }
  }
  ctx.out.mapHeader(found.size);
  for (const [name, value] of found) {
    ctx.out.bulk(name);
    ctx.out.bulk(value);
  }
}

const setFailed = (name: string, reason: string) => new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);

/** As Redis's configSetCommand: every name checked first, then every value; all or nothing. */
function configSet(ctx: CommandContext, args: Buffer[]): void {
  if ((args.length - 2) % 2 !== 0) throw new CommandError(ERRORS.syntax);
  const pairs: Array<{ name: string; option: OptionSpec; value: string }> = [];
  for (let index = 2; index < args.length; index += 2) {
    const given = (args[index] as Buffer).toString('latin1');
    const name = given.toLowerCase();
    const option = findOption(name);
    const known = option !== undefined || FIXED_PARAMETERS.some(([parameter]) => parameter === name);
    if (!known) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${given}'`);
    if (option === undefined || !option.runtime) throw setFailed(given, "can't set immutable config");
    if (pairs.some((pair) => pair.name === name)) throw setFailed(given, 'duplicate parameter'); // an alias is its own entry, as in Redis
    pairs.push({ name, option, value: (args[index + 1] as Buffer).toString('latin1') });
  }
  const next = copyConfig(ctx.server.config);
  for (const { name, option, value } of pairs) {
    try {
      applyOption(next, option, value);
    } catch (error) {
      if (!(error instanceof ConfigValueError)) throw error;
      throw setFailed(name, error.reason);
    }
  }
  if (next.appendfsync !== ctx.server.config.appendfsync) {
    try {
      ctx.server.engine.setSyncPolicy(next.appendfsync); // syncs what was written under the old policy
    } catch (error) {
      throw setFailed('appendfsync', error instanceof Error ? error.message : String(error));
    }
  }
  const previousLevel = ctx.server.config.loglevel;
  Object.assign(ctx.server.config, next);
  ctx.server.memoryBudget.apply(); // maxmemory moved the memtable and cache sizes
  if (next.loglevel !== previousLevel) ctx.server.setLogLevel(next.loglevel);
  ctx.out.simple('OK');
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>', '    Set the configuration <directive> to <value>.',
  'RESETSTAT', '    Reset statistics reported by the INFO command.',
  'REWRITE', '    Rewrite the configuration file.',
  'HELP', '    Print this help.',
];

function flushMode(args: Buffer[], from: number): void {
  if (args.length > from + 1) throw new CommandError(ERRORS.syntax);
  const mode = args[from]?.toString('latin1').toLowerCase();
  if (mode !== undefined && mode !== 'sync' && mode !== 'async') throw new CommandError(ERRORS.syntax);
}

/**
 * DEBUG COMPACT: flushes the memtable and merges every table into the deepest level, in the
 * background (like BGREWRITEAOF, the reply does not wait); writes and reads go on meanwhile.
 */
function debugCompact(ctx: CommandContext): void {
  const { engine, logger } = ctx.server;
  if (engine.failure() !== undefined) throw new CommandError(`ERR ${engine.failure()!.message}`);
  const started = Date.now();
  sealEverySeries(ctx);
  engine.compactAll().then(
    () => logger.info({ ms: Date.now() - started }, 'full compaction done'),
    (error: unknown) => logger.warn({ error: String(error) }, 'full compaction did not finish'),
  );
  ctx.out.simple('Background compaction started');
}

function debugSleep(ctx: CommandContext, args: Buffer[]): void {
  const seconds = Number((args[2] as Buffer).toString('latin1'));
  if (!Number.isFinite(seconds) || seconds < 0) throw new CommandError('ERR value is not a valid float');
  // Blocks the event loop on purpose, as Redis's DEBUG SLEEP blocks the server.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  ctx.out.simple('OK');
}

const container = (name: string, summary: string, subcommands: CommandSpec[]): CommandSpec => ({
  name, arity: -2, flags: [], firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', summary, since: '2.0.0',
  handler: (_ctx, args) => {
    throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), name));
  },
  subcommands,
});

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'server' } as const;
const ok = (ctx: CommandContext) => ctx.out.simple('OK');

export const serverCommands: CommandSpec[] = [
  container('config', 'A container for server configuration commands.', [
    { ...base, name: 'get', arity: -3, flags: ['admin', 'noscript', 'loading', 'stale'], summary: 'Returns the effective values of configuration parameters.', since: '2.0.0', handler: configGet },
    { ...base, name: 'set', arity: -4, flags: ['admin', 'noscript', 'loading', 'stale'], summary: 'Sets configuration parameters in-flight.', since: '2.0.0', handler: configSet },
    {
      ...base, name: 'resetstat', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'], summary: 'Resets the server\'s statistics.', since: '2.0.0',
      handler: (ctx) => {
        ctx.server.resetStats();
        ok(ctx);
      },
    },
    {
      ...base, name: 'rewrite', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'], summary: 'Persists the effective configuration to file.', since: '2.8.0',
      handler: configRewrite,
    },
    { ...base, name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', handler: (ctx) => writeHelp(ctx, CONFIG_HELP) },
  ]),
  { ...base, group: 'server', name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], summary: 'Returns the number of keys in the database.', since: '1.0.0', handler: (ctx) => ctx.out.integer(ctx.server.keyspace.dbSize(ctx.client.db)) },
  {
    ...base, name: 'flushdb', arity: -1, flags: ['write'], summary: 'Removes all keys from the current database.', since: '1.0.0',
    handler: (ctx, args) => {
      flushMode(args, 1);
      ctx.server.keyspace.flushDb(ctx.client.db);
      ok(ctx);
    },
  },
  {
    ...base, name: 'flushall', arity: -1, flags: ['write'], summary: 'Removes all keys from all databases.', since: '1.0.0',
    handler: (ctx, args) => {
      flushMode(args, 1);
      ctx.server.keyspace.flushAll();
      ok(ctx);
    },
  },
  container('function', 'A container for function commands.', [
    { ...base, group: 'scripting', name: 'flush', arity: -2, flags: ['write', 'noscript'], summary: 'Deletes all libraries and functions.', since: '7.0.0', handler: (ctx, args) => (flushMode(args, 2), ok(ctx)) },
    { ...base, group: 'scripting', name: 'list', arity: -2, flags: ['noscript'], summary: 'Returns information about all libraries.', since: '7.0.0', handler: (ctx) => ctx.out.arrayHeader(0) },
  ]),
  container('script', 'A container for Lua scripts management commands.', [
    { ...base, group: 'scripting', name: 'flush', arity: -2, flags: ['noscript'], summary: 'Removes all server-side Lua scripts from the script cache.', since: '2.6.0', handler: (ctx, args) => (flushMode(args, 2), ok(ctx)) },
  ]),
  container('debug', 'A container for debugging commands.', [
    { ...base, name: 'sleep', arity: 3, flags: ['admin', 'noscript'], summary: 'Blocks the server for the given seconds.', since: '1.0.0', handler: debugSleep },
    { ...base, name: 'set-active-expire', arity: 3, flags: ['admin', 'noscript'], summary: 'Turns the active expiry cycle on or off.', since: '1.0.0', handler: (ctx, args) => {
      ctx.server.activeExpireEnabled = parseInteger(args[2] as Buffer, ERRORS.notInteger) !== 0;
      ok(ctx);
    } },
    { ...base, name: 'compact', arity: 2, flags: ['admin', 'noscript'], summary: 'Starts a full compaction of every table into the deepest level (tskv).', since: '1.0.0', handler: debugCompact },
    { ...base, name: 'help', arity: 2, flags: [], summary: 'Returns helpful text about the different subcommands.', since: '1.0.0', handler: (ctx) => writeHelp(ctx, ['DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'SLEEP <seconds>', '    Stop the server for <seconds>. Decimals allowed.', 'SET-ACTIVE-EXPIRE <0|1>', '    Setting it to 0 disables expiring keys in background.', 'COMPACT', '    Start a full compaction in the background (INFO tskv: tskv_compactions).', 'HELP', '    Print this help.']) },
  ]),
  {
    ...base, name: 'time', arity: 1, flags: ['fast', 'loading', 'stale'], summary: 'Returns the server time.', since: '2.6.0',
    handler: (ctx) => {
      const micros = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
      ctx.out.arrayHeader(2);
      ctx.out.bulk(String(micros / 1_000_000n));
      ctx.out.bulk(String(micros % 1_000_000n));
    },
  },
  { ...base, name: 'lastsave', arity: 1, flags: ['fast', 'loading', 'stale'], summary: 'Returns the Unix timestamp of the last successful save to disk.', since: '1.0.0', handler: (ctx) => ctx.out.integer(Math.floor(Date.now() / 1000)) },
  { ...base, name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_multi'], summary: 'Synchronously saves the database(s) to disk (tskv: every acknowledged write already is).', since: '1.0.0', handler: ok },
  { ...base, name: 'bgsave', arity: -1, flags: ['admin', 'noscript'], summary: 'Asynchronously saves the database(s) to disk.', since: '1.0.0', handler: (ctx) => ctx.out.simple('Background saving started') },
  { ...base, name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript'], summary: 'Asynchronously rewrites the append-only file to disk.', since: '1.0.0', handler: (ctx) => ctx.out.simple('Background append only file rewriting started') },
  {
    ...base, name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], summary: 'Synchronously saves the database(s) to disk and shuts down the server.', since: '1.0.0',
    handler: (ctx, args) => {
      for (const arg of args.slice(1)) {
        const word = arg.toString('latin1').toLowerCase();
        if (word === 'abort') throw new CommandError('ERR No shutdown in progress.');
        if (!['nosave', 'save', 'now', 'force'].includes(word)) throw new CommandError(ERRORS.syntax);
      }
      ctx.server.requestShutdown('SHUTDOWN');
      ctx.client.connection.closeAfterReply(); // Redis sends no reply: the connection just closes
    },
  },
];
