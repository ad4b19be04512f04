// src/config.ts: every bound of the server (limits, one place, units in the names) and the
// command-line options, spelled as redis-server spells them (`--port 7379 --appendfsync always`).
// Invariants:
// - parseArguments never exits: a bad or unknown flag throws ConfigError with a one-line reason;
//   main.ts prints it and exits 1.
// - RUNTIME_SETTABLE names the options CONFIG SET may change; the others are fixed at start.
import { parsePercentiles } from './metrics.js';

export const limits = {
  clientsMax: 10_000, // default --maxclients
  databasesMax: 16, // SELECT 0..15; the keyspace holds 16 namespaces
  requestBytesMax: 512 * 1024 * 1024, // proto-max-bulk-len: one bulk argument
  headerBytesMax: 64 * 1024, // an inline request or a *N / $N line (PROTO_INLINE_MAX_SIZE)
  argumentsMax: 2 ** 31 - 1, // the largest multibulk count (Redis 7: INT_MAX)
  queryBufferBytesMax: 1024 * 1024 * 1024, // client-query-buffer-limit: over it the client is closed
  unauthenticatedArgumentsMax: 10, // before AUTH (CVE-2021-32675)
  unauthenticatedBulkBytesMax: 16 * 1024,
  pipelineDepthMax: 1_024, // parsed but not yet answered, per client; over it reading pauses
  replyBytesPendingMax: 64 * 1024 * 1024, // written but not yet flushed, per client; over it reading pauses
  commandsPerTurnMax: 512, // answered per client per event-loop turn before yielding (setImmediate)
  closeAfterReplyMs: 2_000, // QUIT / protocol error: a reply not flushed by then is dropped with the socket
  activeExpireIntervalMs: 100, // how often the active expiry cycle runs
  activeExpireEntriesMax: 200, // keys the active expiry cycle may examine per run
  shutdownMs: 10_000, // SIGTERM: exit within this even if clients or the engine hang
  clientNameBytesMax: 4096,
  cacheBytesDefault: 256 * 1024 * 1024, // --cache-size: the engine's block cache + open tables
  cacheBytesMin: 1024 * 1024,
  cacheBytesMax: 1024 ** 4,
} as const;

export type SyncPolicy = 'always' | 'everysec' | 'no';
export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

export interface ServerConfig {
  port: number;
  bind: string[];
  dir: string;
  appendfsync: SyncPolicy;
  requirepass: string; // '' = none
  maxclients: number;
  timeout: number; // idle seconds, 0 = never
  tcpKeepalive: number; // seconds, 0 = off
  protectedMode: boolean;
  databases: number;
  loglevel: LogLevel;
  protoMaxBulkLen: number;
  slowlogLogSlowerThan: number; // µs; 0 = every command, negative = off
  slowlogMaxLen: number;
  metrics: boolean; // per-command latency tracking (Redis: latency-tracking)
  latencyTrackingInfoPercentiles: number[];
  metricsPort: number; // Prometheus /metrics over HTTP; 0 = off
  cacheBytes: number; // the engine's memory budget for table blocks (block cache + open tables)
}

export function defaultConfig(): ServerConfig {
  return {
    port: 7379,
    bind: ['127.0.0.1'],
    dir: './data',
    appendfsync: 'always',
    requirepass: '',
    maxclients: limits.clientsMax,
    timeout: 0,
    tcpKeepalive: 300,
    protectedMode: true,
    databases: limits.databasesMax,
    loglevel: 'notice',
    protoMaxBulkLen: limits.requestBytesMax,
    slowlogLogSlowerThan: 10_000,
    slowlogMaxLen: 128,
    metrics: true,
    latencyTrackingInfoPercentiles: [50, 99, 99.9],
    metricsPort: 0,
    cacheBytes: limits.cacheBytesDefault,
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
}

interface OptionSpec {
  name: string; // redis-server's spelling
  help: string;
  values?: 'many'; // --bind takes every word up to the next --flag
  apply(config: ServerConfig, value: string): void;
}

function integerIn(name: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`--${name}: '${value}' is not an integer`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`--${name}: ${value} is out of range (${min}-${max})`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const lower = value.toLowerCase();
  const found = choices.find((choice) => choice === lower);
  if (found === undefined) throw new ConfigError(`--${name}: '${value}' must be one of ${choices.join('|')}`);
  return found;
}

function yesNo(name: string, value: string): boolean {
  return oneOf(name, value, ['yes', 'no'] as const) === 'yes';
}

export function parseMemory(name: string, value: string): number {
  const match = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(value);
  if (!match) throw new ConfigError(`--${name}: '${value}' is not a size`);
  const units: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1);
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'port', help: 'TCP port (default 7379)', apply: (c, v) => (c.port = integerIn('port', v, 0, 65535)) },
  { name: 'bind', help: 'addresses to listen on (default 127.0.0.1)', values: 'many', apply: (c, v) => (c.bind = v.split(' ').filter(Boolean)) },
  { name: 'dir', help: 'data directory (default ./data)', apply: (c, v) => (c.dir = v) },
  {
    name: 'appendfsync',
    help: 'always|everysec|no: when a write is acknowledged (default always)',
    apply: (c, v) => (c.appendfsync = oneOf('appendfsync', v, ['always', 'everysec', 'no'] as const)),
  },
  { name: 'requirepass', help: 'password clients must AUTH with (default none)', apply: (c, v) => (c.requirepass = v) },
  { name: 'maxclients', help: 'most connected clients (default 10000)', apply: (c, v) => (c.maxclients = integerIn('maxclients', v, 1, 1_000_000)) },
  { name: 'timeout', help: 'close clients idle this many seconds, 0 = never (default 0)', apply: (c, v) => (c.timeout = integerIn('timeout', v, 0, 2 ** 31 - 1)) },
  { name: 'tcp-keepalive', help: 'TCP keepalive seconds, 0 = off (default 300)', apply: (c, v) => (c.tcpKeepalive = integerIn('tcp-keepalive', v, 0, 2 ** 31 - 1)) },
  { name: 'protected-mode', help: 'yes|no: refuse non-loopback clients while no password is set (default yes)', apply: (c, v) => (c.protectedMode = yesNo('protected-mode', v)) },
  { name: 'databases', help: `number of databases, 1-${limits.databasesMax} (default ${limits.databasesMax})`, apply: (c, v) => (c.databases = integerIn('databases', v, 1, limits.databasesMax)) },
  {
    name: 'loglevel',
    help: 'debug|verbose|notice|warning|nothing (default notice)',
    apply: (c, v) => (c.loglevel = oneOf('loglevel', v, ['debug', 'verbose', 'notice', 'warning', 'nothing'] as const)),
  },
  {
    name: 'proto-max-bulk-len',
    help: 'largest bulk argument, bytes (default 512mb)',
    apply: (c, v) => {
      const bytes = parseMemory('proto-max-bulk-len', v);
      if (bytes < 1024 * 1024 || bytes > limits.requestBytesMax) throw new ConfigError(`--proto-max-bulk-len: ${v} is out of range (1mb-512mb)`);
      c.protoMaxBulkLen = bytes;
    },
  },
  {
    name: 'slowlog-log-slower-than',
    help: 'log commands taking at least this many microseconds; 0 = all, negative = off (default 10000)',
    apply: (c, v) => (c.slowlogLogSlowerThan = integerIn('slowlog-log-slower-than', v, -(2 ** 53), 2 ** 53)),
  },
  { name: 'slowlog-max-len', help: 'slow log entries kept (default 128)', apply: (c, v) => (c.slowlogMaxLen = integerIn('slowlog-max-len', v, 0, 2 ** 31 - 1)) },
  { name: 'metrics', help: 'yes|no: per-command latency tracking for INFO, SLOWLOG and /metrics (default yes)', apply: (c, v) => (c.metrics = yesNo('metrics', v)) },
  {
    name: 'latency-tracking-info-percentiles',
    help: 'percentiles INFO latencystats prints (default "50 99 99.9")',
    values: 'many',
    apply: (c, v) => {
      const percentiles = parsePercentiles(v);
      if (percentiles === undefined) throw new ConfigError(`--latency-tracking-info-percentiles: '${v}' must be numbers between 0 and 100`);
      c.latencyTrackingInfoPercentiles = percentiles;
    },
  },
  {
    name: 'cache-size',
    help: 'memory for table blocks read from disk (block cache + open tables), e.g. 1gb (default 256mb)',
    apply: (c, v) => {
      const bytes = parseMemory('cache-size', v);
      if (bytes < limits.cacheBytesMin || bytes > limits.cacheBytesMax) throw new ConfigError(`--cache-size: ${v} is out of range (1mb-1024gb)`);
      c.cacheBytes = bytes;
    },
  },
  { name: 'metrics-port', help: 'serve Prometheus metrics at http://<bind>:<port>/metrics, 0 = off (default 0)', apply: (c, v) => (c.metricsPort = integerIn('metrics-port', v, 0, 65535)) },
];

export type ParsedArguments = { kind: 'run'; config: ServerConfig } | { kind: 'help'; text: string } | { kind: 'version' };

/** Parses redis-server style flags: `--name value`, `--name=value`, `--bind a b`. */
export function parseArguments(argv: readonly string[]): ParsedArguments {
  const config = defaultConfig();
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--help' || word === '-h') return { kind: 'help', text: helpText() };
    if (word === '--version' || word === '-v') return { kind: 'version' };
    if (!word.startsWith('--')) throw new ConfigError(`unexpected argument '${word}' (try --help)`);
    const equals = word.indexOf('=');
    const name = (equals < 0 ? word.slice(2) : word.slice(2, equals)).toLowerCase();
    const option = OPTIONS.find((candidate) => candidate.name === name);
    if (option === undefined) throw new ConfigError(`unknown option '--${name}' (try --help)`);
    let value: string;
    if (equals >= 0) {
      value = word.slice(equals + 1);
    } else {
      const values: string[] = [];
      while (index + 1 < argv.length && !(argv[index + 1] as string).startsWith('--')) {
        values.push(argv[++index] as string);
        if (option.values !== 'many') break;
      }
      if (values.length === 0) throw new ConfigError(`--${name} needs a value`);
      value = values.join(' ');
    }
    option.apply(config, value);
  }
  return { kind: 'run', config };
}

export function helpText(): string {
  const lines = ['Usage: node dist/tskv.js [--option value]...', '', 'Options (named as redis-server names them):'];
  for (const option of OPTIONS) lines.push(`  --${option.name.padEnd(20)} ${option.help}`);
  lines.push(`  --${'help'.padEnd(20)} print this and exit`, `  --${'version'.padEnd(20)} print the version and exit`);
  return lines.join('\n');
}

/** CONFIG SET may change these at run time; value already validated by the option's apply(). */
export const RUNTIME_SETTABLE: ReadonlySet<string> = new Set(['appendfsync', 'maxclients', 'timeout', 'tcp-keepalive', 'protected-mode', 'requirepass', 'loglevel', 'proto-max-bulk-len',
  'slowlog-log-slower-than', 'slowlog-max-len', 'metrics', 'latency-tracking-info-percentiles']);
