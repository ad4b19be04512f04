// src/ops/config.ts: every bound of the server (limits, one place, units in the names), the
// ServerConfig every part reads, and its options, spelled as redis-server spells them:
//
//   node dist/tskv.js [config-file] [--name value]...     e.g. --port 7379 --bind 127.0.0.1 ::1
//
// Each option (OPTIONS) is one flag, one config file directive, one CONFIG GET / SET / REWRITE
// name: it parses its value as Redis does (config-values.ts) and prints it as CONFIG GET does.
// Redis settings tskv has no knob for yet (the listpack thresholds, lazyfree-*, hz, ...) are
// options too, so clients and test suites that set them at start are answered as Redis answers;
// their values sit in ServerConfig for the issues that will use them.
// Invariants:
// - parseArguments never exits: a bad or unknown flag throws ConfigError with a one-line reason;
//   main.ts prints it and exits 1. A refused value is a ConfigValueError carrying Redis's reason.
// - An option with `runtime` may change through CONFIG SET; the others are fixed at start.
// - A word that is not a flag or a flag's value is the config file (splitArguments): it may
//   stand anywhere, and the flags override it whatever their order. A multi-word flag (--bind)
//   stops taking values at a word that looks like a file: one with '/' or ending in '.conf'.
import path from 'node:path';
import {
  INT_MAX, INT_MIN, InvalidValue, LONG_MAX, UINT_MAX, ULLONG_MAX, defaultOutputBufferLimits, formatKeyspaceEvents, formatMemory, formatOutputBufferLimits,
  formatSave, formatYesNo, parseEnum, parseKeyspaceEvents, parseNumber, parseOutputBufferLimits, parseSave, parseYesNo, type NumberSpec,
  type OutputBufferLimits, type SavePoint,
} from './config-values.js';
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
  replyStreamBytesPendingMax: 4 * 1024 * 1024, // a streamed reply's next part is made only while the client's unsent output is under this
  replyStreamStepsPerTurnMax: 64, // parts of one streamed reply made per event-loop turn (each about replyStreamSamplesPerStep samples)
  replyStreamSamplesPerStep: 1024, // samples one part of a streamed TS range writes (or counts, times 8)
  replyStreamSamplesMin: 65_536, // a TS range reply past this many samples is streamed (dispatch/reply-stream.ts), not built in memory
  commandsPerTurnMax: 512, // answered per client per event-loop turn before yielding (setImmediate)
  closeAfterReplyMs: 2_000, // QUIT / protocol error: a reply not flushed by then is dropped with the socket
  activeExpireIntervalMs: 100, // how often the active expiry cycle runs
  activeExpireEntriesMax: 200, // keys the active expiry cycle may examine per run
  shutdownMs: 10_000, // SIGTERM: exit within this even if clients or the engine hang
  clientNameBytesMax: 4096,
  replicaSendBytesMax: 16 * 1024 * 1024, // a replica's socket buffer: past it the primary reads no more WAL for it
  replicaReadBytesMax: 1024 * 1024, // WAL batches read per step for one replica (past one batch)
  replicaChunkBytes: 256 * 1024, // a full copy's table bytes per CHUNK frame
  replicaInputBytesMax: 1024 * 1024, // unparsed bytes from a replica (its ACKs are tiny): past it the link closes
  replicaTailBytes: 16 * 1024 * 1024, // newest WAL batches kept in memory while replicas are attached
  replicaHandshakeBytesMax: 64 * 1024, // one handshake reply line, or one stream frame header
  replicaAckIntervalMs: 1000, // a replica acks at least this often (Redis: each second)
  replicaReconnectMs: 1000, // a lost link to the primary is tried again after this
  replicaSyncIntervalMs: 100, // a primary with replicas fsyncs at least this often under everysec / no
  replicaWaitsMax: 10_000, // WAITs blocked at once; past it a WAIT answers the count it has now
  blockedClientsMax: 100_000, // clients blocked at once (BLPOP & co.); past it a blocking command answers an error
  waitersPerKeyMax: 10_000, // clients blocked on one key (Redis has no such limit); past it likewise
  listBatchBytesMax: 256 * 1024 * 1024, // what one LTRIM / LREM / LINSERT may stage (under the WAL's 1 GiB record)
  zsetHeadCacheEntriesMax: 128, // first (and last) members of one zset kept for ZRANGE by rank (types/zset-head-cache.ts)
  zsetHeadCacheZsetsMax: 1_024, // zsets with cached ends, at most; past it those not read lately go
  zsetHeadCacheBytesMax: 16 * 1024 * 1024, // the cached ends' members and overhead, at most (INFO memory tskv_zset_cache_bytes)
  listEndCacheFillElementsMax: 256, // elements one fill of a list's end run reads for the pops after it (types/list-end-cache.ts)
  listEndCacheFillBytesMax: 32 * 1024, // and about this many bytes (from the list's average element), at most
  listEndCacheListsMax: 1_024, // lists with cached end runs, at most; past it the oldest filled go
  listEndCacheBytesMax: 8 * 1024 * 1024, // the cached runs' values and overhead, at most
  cacheBytesDefault: 256 * 1024 * 1024, // --cache-size: the engine's block cache + open tables
  cacheBytesMin: 1024 * 1024,
  cacheBytesMax: 1024 ** 4,
  subscriptionsPerClientMax: 100_000, // channels + patterns + shard channels one client may subscribe to
  outOfBandBytesPendingMax: 1024 * 1024 * 1024, // Pub/Sub and MONITOR output not yet sent, whatever client-output-buffer-limit says
} as const;

export type SyncPolicy = 'always' | 'everysec' | 'no';
export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
export const MAXMEMORY_POLICIES = ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];
export type { OutputBufferLimit, OutputBufferLimits, SavePoint } from './config-values.js';

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
  // Redis settings, stored and shown (CONFIG GET, INFO); what each will drive is noted.
  maxmemoryBytes: number; // 0 = none; the memory budget (a later issue); INFO memory maxmemory
  maxmemoryPolicy: MaxmemoryPolicy;
  maxmemorySamples: number;
  hashMaxListpackEntries: number; // OBJECT ENCODING listpack -> hashtable thresholds (later issues)
  hashMaxListpackValueBytes: number;
  setMaxIntsetEntries: number;
  setMaxListpackEntries: number;
  setMaxListpackValueBytes: number;
  listMaxListpackSize: number; // negative: -1..-5 = 4..64 KiB per node; positive: entries per node
  listCompressDepth: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValueBytes: number;
  save: SavePoint[]; // tskv writes no snapshots: every write is in the WAL
  lazyfreeLazyEviction: boolean;
  lazyfreeLazyExpire: boolean;
  lazyfreeLazyServerDel: boolean;
  lazyfreeLazyUserDel: boolean;
  lazyfreeLazyUserFlush: boolean;
  notifyKeyspaceEvents: number; // KEYSPACE_EVENT bits (config-values.ts): which keyspace notifications are published
  clientOutputBufferLimits: OutputBufferLimits; // the pubsub class bounds subscribers (net/output-limit.ts); the others are stored
  activerehashing: boolean;
  hz: number; // 1..500 once set, as Redis clamps it; INFO server hz / configured_hz
  // replication (src/replication/)
  replicaof: { host: string; port: number } | undefined; // this server follows that primary
  masterauth: string; // '' = send no AUTH to the primary
  masteruser: string;
  replBacklogSize: number; // obsolete WAL bytes kept for replicas that fall behind
  replBacklogTtl: number; // seconds without replicas before that WAL is let go; 0 = never
  replTimeout: number; // seconds of silence before a replication link is dropped
  replPingReplicaPeriod: number; // seconds between a primary's PINGs on an idle link
  replicaPriority: number; // INFO slave_priority (for failover tools)
  replicaAnnounceIp: string; // '' = the primary sees the connection's address
  replicaAnnouncePort: number; // 0 = the port this server listens on
  clusterEnabled: boolean; // cluster mode: slots assigned from outside (src/cluster/)
  flushWorker: boolean; // memtable flushes on a worker thread (storage/flush-worker-client.ts)
  clusterConfigFile: string; // the node's cluster state (id, topology), relative to dir
  clusterTopologyFile: string; // '' = none; a topology applied at start when newer than the node's
  clusterAnnounceIp: string; // '' = none; an address this node is known by in topologies
  clusterRequireFullCoverage: boolean; // cluster_state:fail (CLUSTERDOWN) while some slot has no owner
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
    // Redis 7.0's defaults (set-max-listpack-*: 7.2's; save: "" since tskv keeps no snapshots)
    maxmemoryBytes: 0,
    maxmemoryPolicy: 'noeviction',
    maxmemorySamples: 5,
    hashMaxListpackEntries: 512,
    hashMaxListpackValueBytes: 64,
    setMaxIntsetEntries: 512,
    setMaxListpackEntries: 128,
    setMaxListpackValueBytes: 64,
    listMaxListpackSize: -2,
    listCompressDepth: 0,
    zsetMaxListpackEntries: 128,
    zsetMaxListpackValueBytes: 64,
    save: [],
    lazyfreeLazyEviction: false,
    lazyfreeLazyExpire: false,
    lazyfreeLazyServerDel: false,
    lazyfreeLazyUserDel: false,
    lazyfreeLazyUserFlush: false,
    notifyKeyspaceEvents: 0,
    clientOutputBufferLimits: defaultOutputBufferLimits(),
    activerehashing: true,
    hz: 10,
    replicaof: undefined,
    masterauth: '',
    masteruser: '',
    replBacklogSize: 256 * 1024 * 1024,
    replBacklogTtl: 3600,
    replTimeout: 60,
    replPingReplicaPeriod: 10,
    replicaPriority: 100,
    replicaAnnounceIp: '',
    replicaAnnouncePort: 0,
    clusterEnabled: false,
    flushWorker: false,
    clusterConfigFile: 'nodes.conf',
    clusterTopologyFile: '',
    clusterAnnounceIp: '',
    clusterRequireFullCoverage: true,
  };
}

/** A copy CONFIG SET may change without touching the running config. */
export function copyConfig(config: ServerConfig): ServerConfig {
  return structuredClone(config);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code: string = 'ERR_CONFIG';
}

/** A value an option refuses; `reason` is Redis's text (CONFIG SET and config file errors). */
export class ConfigValueError extends ConfigError {
  override name = 'ConfigValueError';
  override readonly code = 'ERR_CONFIG_VALUE';
  constructor(
    readonly option: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`--${option} ${JSON.stringify(value)}: ${reason}`);
  }
}

type Numbered = { [K in keyof ServerConfig]: ServerConfig[K] extends number ? K : never }[keyof ServerConfig];
type Flagged = { [K in keyof ServerConfig]: ServerConfig[K] extends boolean ? K : never }[keyof ServerConfig];

export interface OptionSpec {
  name: string; // redis-server's spelling, lower case
  alias?: string; // the Redis 6 name Redis 7 still takes for it (hash-max-ziplist-entries)
  help?: string; // its --help line; none: a Redis setting tskv only stores (listed together)
  values?: 'many'; // --bind takes every word up to the next --flag (or a config file)
  emptyWhenMissing?: boolean; // `--save` alone means `--save ""`, as redis-server reads it
  runtime?: boolean; // CONFIG SET may change it
  /** Parses `value` into `config`; throws InvalidValue with Redis's reason. */
  apply(config: ServerConfig, value: string): void;
  /** The value as CONFIG GET prints it. */
  read(config: ServerConfig): string;
  /** The value as CONFIG REWRITE writes it, when not as CONFIG GET prints it (100mb). */
  write?(config: ServerConfig): string;
}

function numberOption(name: string, key: Numbered, spec: NumberSpec, extra: Partial<OptionSpec> = {}): OptionSpec {
  const write = spec.memory ? { write: (c: ServerConfig) => formatMemory(c[key]) } : {};
  return { name, runtime: true, apply: (c, v) => (c[key] = parseNumber(v, spec)), read: (c) => String(c[key]), ...write, ...extra };
}

function yesNoOption(name: string, key: Flagged, extra: Partial<OptionSpec> = {}): OptionSpec {
  return { name, runtime: true, apply: (c, v) => (c[key] = parseYesNo(v)), read: (c) => formatYesNo(c[key]), ...extra };
}

const INT64_RANGE = { min: 0, max: LONG_MAX } as const; // Redis's size_t settings

export const OPTIONS: readonly OptionSpec[] = [
  numberOption('port', 'port', { min: 0, max: 65535 }, { help: 'TCP port (default 7379)', runtime: false }),
  {
    name: 'bind', help: 'addresses to listen on (default 127.0.0.1)', values: 'many',
    apply: (c, v) => (c.bind = v.split(' ').filter(Boolean)), read: (c) => c.bind.join(' '),
  },
  { name: 'dir', help: 'data directory (default ./data)', apply: (c, v) => (c.dir = v), read: (c) => path.resolve(c.dir) },
  {
    name: 'appendfsync', help: 'always|everysec|no: when a write is acknowledged (default always)', runtime: true,
    apply: (c, v) => (c.appendfsync = parseEnum(v, ['everysec', 'always', 'no'] as const)), read: (c) => c.appendfsync,
  },
  { name: 'requirepass', help: 'password clients must AUTH with (default none)', runtime: true, apply: (c, v) => (c.requirepass = v), read: (c) => c.requirepass },
  numberOption('maxclients', 'maxclients', { min: 1, max: UINT_MAX, cap: 1_000_000 }, { help: 'most connected clients (default 10000)' }),
  numberOption('timeout', 'timeout', { min: 0, max: INT_MAX }, { help: 'close clients idle this many seconds, 0 = never (default 0)' }),
  numberOption('tcp-keepalive', 'tcpKeepalive', { min: 0, max: INT_MAX }, { help: 'TCP keepalive seconds, 0 = off (default 300)' }),
  yesNoOption('protected-mode', 'protectedMode', { help: 'yes|no: refuse non-loopback clients until a password is set (default yes)' }),
  numberOption('databases', 'databases', { min: 1, max: INT_MAX, cap: limits.databasesMax }, { help: `number of databases, 1-${limits.databasesMax} (default ${limits.databasesMax})`, runtime: false }),
  {
    name: 'loglevel', help: 'debug|verbose|notice|warning|nothing (default notice)', runtime: true,
    apply: (c, v) => (c.loglevel = parseEnum(v, ['debug', 'verbose', 'notice', 'warning', 'nothing'] as const)), read: (c) => c.loglevel,
  },
  numberOption('proto-max-bulk-len', 'protoMaxBulkLen', { min: 1024 * 1024, max: LONG_MAX, cap: limits.requestBytesMax, memory: true }, { help: 'largest bulk argument, bytes, 1mb-512mb (default 512mb)' }),
  numberOption('slowlog-log-slower-than', 'slowlogLogSlowerThan', { min: -Number.MAX_SAFE_INTEGER, max: LONG_MAX }, {
    help: 'log commands taking at least this many microseconds; 0: every command, negative: none (default 10000)',
  }),
  numberOption('slowlog-max-len', 'slowlogMaxLen', { min: 0, max: LONG_MAX, cap: INT_MAX }, { help: 'slow log entries kept (default 128)' }),
  yesNoOption('metrics', 'metrics', { help: 'yes|no: per-command latency tracking for INFO, SLOWLOG and /metrics (default yes)' }),
  {
    name: 'latency-tracking-info-percentiles', help: 'percentiles INFO latencystats prints (default "50 99 99.9")', values: 'many', runtime: true,
    apply: (c, v) => {
      const percentiles = parsePercentiles(v);
      if (percentiles !== undefined) c.latencyTrackingInfoPercentiles = percentiles;
      else if (v.split(/\s+/).some((word) => word !== '' && !Number.isFinite(Number(word)))) throw new InvalidValue('Invalid latency-tracking-info-percentiles parameters');
      else throw new InvalidValue('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    },
    read: (c) => c.latencyTrackingInfoPercentiles.join(' '),
  },
  numberOption('cache-size', 'cacheBytes', { min: limits.cacheBytesMin, max: limits.cacheBytesMax, memory: true }, {
    help: 'memory for table blocks read from disk (block cache + open tables), e.g. 1gb (default 256mb; with maxmemory, at most 3/8 of it)', runtime: false,
  }),
  numberOption('metrics-port', 'metricsPort', { min: 0, max: 65535 }, { help: 'serve Prometheus metrics at http://<bind>:<port>/metrics, 0 = off (default 0)', runtime: false }),
  yesNoOption('flush-worker', 'flushWorker', {
    help: 'yes|no: write memtable flushes on a worker thread, off the event loop (costs ~15 MiB of RSS; flushes there skip the compaction filter) (default no)', runtime: false,
  }),
  yesNoOption('cluster-enabled', 'clusterEnabled', {
    help: 'yes|no: cluster mode; slots are assigned from outside (CLUSTERX SETNODES, --cluster-topology-file) (default no)', runtime: false,
  }),
  { name: 'cluster-config-file', help: "the node's cluster state (id, topology), in --dir (default nodes.conf)", apply: (c, v) => (c.clusterConfigFile = v), read: (c) => c.clusterConfigFile },
  {
    name: 'cluster-topology-file', help: 'a topology file (version line, then CLUSTERX SETNODES lines) applied at start when newer than the node\'s (default none)',
    apply: (c, v) => (c.clusterTopologyFile = v), read: (c) => c.clusterTopologyFile,
  },
  { name: 'cluster-announce-ip', help: 'an address this node is listed under in topologies, besides --bind (default none)', apply: (c, v) => (c.clusterAnnounceIp = v), read: (c) => c.clusterAnnounceIp },
  yesNoOption('cluster-require-full-coverage', 'clusterRequireFullCoverage', { help: 'yes|no: refuse keyed commands (CLUSTERDOWN) while some slot has no owner (default yes)' }),
  numberOption('maxmemory', 'maxmemoryBytes', { min: 0, max: ULLONG_MAX, memory: true }, {
    help: 'memory budget, e.g. 1gb; shown in CONFIG GET and INFO memory, bounds nothing yet (default 0 = none)',
  }),
  { name: 'maxmemory-policy', runtime: true, apply: (c, v) => (c.maxmemoryPolicy = parseEnum(v, MAXMEMORY_POLICIES)), read: (c) => c.maxmemoryPolicy },
  numberOption('maxmemory-samples', 'maxmemorySamples', { min: 1, max: INT_MAX }),
  numberOption('hash-max-listpack-entries', 'hashMaxListpackEntries', INT64_RANGE, { alias: 'hash-max-ziplist-entries' }),
  numberOption('hash-max-listpack-value', 'hashMaxListpackValueBytes', { ...INT64_RANGE, memory: true }, { alias: 'hash-max-ziplist-value' }),
  numberOption('set-max-intset-entries', 'setMaxIntsetEntries', INT64_RANGE),
  numberOption('set-max-listpack-entries', 'setMaxListpackEntries', INT64_RANGE),
  numberOption('set-max-listpack-value', 'setMaxListpackValueBytes', INT64_RANGE),
  numberOption('list-max-listpack-size', 'listMaxListpackSize', { min: INT_MIN, max: INT_MAX }, { alias: 'list-max-ziplist-size' }),
  numberOption('list-compress-depth', 'listCompressDepth', { min: 0, max: INT_MAX }),
  numberOption('zset-max-listpack-entries', 'zsetMaxListpackEntries', INT64_RANGE, { alias: 'zset-max-ziplist-entries' }),
  numberOption('zset-max-listpack-value', 'zsetMaxListpackValueBytes', { ...INT64_RANGE, memory: true }, { alias: 'zset-max-ziplist-value' }),
  { name: 'save', values: 'many', emptyWhenMissing: true, runtime: true, apply: (c, v) => (c.save = parseSave(v)), read: (c) => formatSave(c.save) },
  yesNoOption('lazyfree-lazy-eviction', 'lazyfreeLazyEviction'),
  yesNoOption('lazyfree-lazy-expire', 'lazyfreeLazyExpire'),
  yesNoOption('lazyfree-lazy-server-del', 'lazyfreeLazyServerDel'),
  yesNoOption('lazyfree-lazy-user-del', 'lazyfreeLazyUserDel'),
  yesNoOption('lazyfree-lazy-user-flush', 'lazyfreeLazyUserFlush'),
  {
    name: 'notify-keyspace-events', runtime: true, help: 'keyspace notifications to publish, Redis letters e.g. KEA or Ex (default "" = none)',
    apply: (c, v) => (c.notifyKeyspaceEvents = parseKeyspaceEvents(v)), read: (c) => formatKeyspaceEvents(c.notifyKeyspaceEvents),
  },
  {
    name: 'client-output-buffer-limit', values: 'many', runtime: true,
    help: '<class> <hard> <soft> <seconds>...: a Pub/Sub subscriber whose unsent output passes hard, or stays past soft longer than seconds, is disconnected (default "pubsub 32mb 8mb 60")',
    apply: (c, v) => (c.clientOutputBufferLimits = parseOutputBufferLimits(v, c.clientOutputBufferLimits)), read: (c) => formatOutputBufferLimits(c.clientOutputBufferLimits),
  },
  yesNoOption('activerehashing', 'activerehashing'),
  {
    name: 'replicaof', alias: 'slaveof', values: 'many', help: 'host port: follow that tskv primary as a read-only replica (default: none)',
    apply: (c, v) => (c.replicaof = parseReplicaOf(v)), read: (c) => (c.replicaof === undefined ? '' : `${c.replicaof.host} ${c.replicaof.port}`),
  },
  { name: 'masterauth', help: 'password a replica sends its primary (default none)', runtime: true, apply: (c, v) => (c.masterauth = v), read: (c) => c.masterauth },
  { name: 'masteruser', runtime: true, apply: (c, v) => (c.masteruser = v), read: (c) => c.masteruser },
  numberOption('repl-backlog-size', 'replBacklogSize', { min: 1, max: LONG_MAX, memory: true }, {
    help: 'WAL bytes kept for replicas beyond the live WAL, e.g. 1gb (default 256mb)',
  }),
  numberOption('repl-backlog-ttl', 'replBacklogTtl', { min: 0, max: LONG_MAX }, { help: 'seconds without replicas before that WAL is let go, 0 = never (default 3600)' }),
  numberOption('repl-timeout', 'replTimeout', { min: 1, max: INT_MAX }, { help: 'seconds of silence before a replication link is dropped (default 60)' }),
  numberOption('repl-ping-replica-period', 'replPingReplicaPeriod', { min: 1, max: INT_MAX }, { alias: 'repl-ping-slave-period' }),
  numberOption('replica-priority', 'replicaPriority', { min: 0, max: INT_MAX }, { alias: 'slave-priority' }),
  { name: 'replica-announce-ip', alias: 'slave-announce-ip', runtime: true, apply: (c, v) => (c.replicaAnnounceIp = v), read: (c) => c.replicaAnnounceIp },
  numberOption('replica-announce-port', 'replicaAnnouncePort', { min: 0, max: 65535 }, { alias: 'slave-announce-port' }),
  numberOption('hz', 'hz', { min: 0, max: INT_MAX }, { apply: (c, v) => (c.hz = Math.min(500, Math.max(1, parseNumber(v, { min: 0, max: INT_MAX })))) }),
];

/** `replicaof host port` (Redis's config directive); `no one` means none. */
function parseReplicaOf(text: string): { host: string; port: number } | undefined {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 2 && words[0]!.toLowerCase() === 'no' && words[1]!.toLowerCase() === 'one') return undefined;
  if (words.length !== 2) throw new InvalidValue('wrong number of arguments');
  return { host: words[0]!, port: parseNumber(words[1]!, { min: 0, max: 65535 }) };
}

/** The option named `name` (lower case) or by its alias. */
export function findOption(name: string): OptionSpec | undefined {
  return OPTIONS.find((option) => option.name === name || option.alias === name);
}

/** Parses one option's value into `config`; a refusal becomes a ConfigValueError naming it. */
export function applyOption(config: ServerConfig, option: OptionSpec, value: string): void {
  try {
    option.apply(config, value);
  } catch (error) {
    if (error instanceof InvalidValue) throw new ConfigValueError(option.name, value, error.message);
    throw error;
  }
}

export type SplitArguments = { kind: 'run'; flags: string[]; words: string[] } | { kind: 'help' } | { kind: 'version' };

/** True for a word a multi-word flag does not take: the config file. */
const looksLikeFile = (word: string): boolean => word.includes('/') || word.toLowerCase().endsWith('.conf');

/**
 * Splits redis-server style arguments: `--name value`, `--name=value`, `--bind a b`, into flags
 * (each `--name=value`, checked to name an option) and the other words (the config file).
 */
export function splitArguments(argv: readonly string[]): SplitArguments {
  const flags: string[] = [];
  const words: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--help' || word === '-h') return { kind: 'help' };
    if (word === '--version' || word === '-v') return { kind: 'version' };
    if (!word.startsWith('--')) {
      words.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = (equals < 0 ? word.slice(2) : word.slice(2, equals)).toLowerCase();
    const option = findOption(name);
    if (option === undefined) throw new ConfigError(`unknown option '--${name}' (try --help)`);
    if (equals >= 0) {
      flags.push(`--${name}=${word.slice(equals + 1)}`);
      continue;
    }
    const values: string[] = [];
    while (index + 1 < argv.length && !(argv[index + 1] as string).startsWith('--')) {
      if (values.length > 0 && looksLikeFile(argv[index + 1] as string)) break;
      values.push(argv[++index] as string);
      if (option.values !== 'many') break;
    }
    if (values.length === 0 && !option.emptyWhenMissing) throw new ConfigError(`--${name} needs a value`);
    flags.push(`--${name}=${values.join(' ')}`);
  }
  return { kind: 'run', flags, words };
}

export type ParsedArguments = { kind: 'run'; config: ServerConfig } | { kind: 'help'; text: string } | { kind: 'version' };

/** Parses flags (no config file: config-file.ts resolveCommandLine reads that first). */
export function parseArguments(argv: readonly string[]): ParsedArguments {
  const split = splitArguments(argv);
  if (split.kind === 'help') return { kind: 'help', text: helpText() };
  if (split.kind === 'version') return split;
  const [stray] = split.words;
  if (stray !== undefined) throw new ConfigError(`unexpected argument '${stray}' (try --help)`);
  const config = defaultConfig();
  for (const flag of split.flags) {
    const equals = flag.indexOf('=');
    applyOption(config, findOption(flag.slice(2, equals)) as OptionSpec, flag.slice(equals + 1));
  }
  return { kind: 'run', config };
}

const HELP_WIDTH = 100; // columns of --help
const HELP_NAME_WIDTH = 26; // a longer option name puts its description on the next line

/** Words filled into lines of at most HELP_WIDTH columns, each starting with `indent`. */
function wrap(words: readonly string[], indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    if (line.length > indent.length && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${word}` : word;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}

/** `  name  description`, the descriptions in one column, wrapped within HELP_WIDTH. */
function helpRow(name: string, description: string): string[] {
  const indent = ' '.repeat(2 + HELP_NAME_WIDTH + 2);
  const lines = wrap(description.match(/\([^)]*\)\S*|\S+/g) ?? [], indent); // a (parenthesis) stays on one line
  if (name.length > HELP_NAME_WIDTH) return [`  ${name}`, ...lines];
  return [`  ${name.padEnd(HELP_NAME_WIDTH)}  ${(lines[0] ?? '').trimStart()}`, ...lines.slice(1)];
}

export function helpText(): string {
  const described = OPTIONS.filter((option) => option.help !== undefined);
  const stored = OPTIONS.filter((option) => option.help === undefined).map((option) => `--${option.name}`);
  return [
    'Usage: node dist/tskv.js [config-file] [--option value]...',
    '',
    ...helpRow('config-file', 'a file in redis.conf syntax (tskv.conf is an example); it may stand anywhere among the options, and every --option given overrides it, whatever the order'),
    '',
    'Options (named as redis-server names them; each may also be a line of the config file):',
    ...described.flatMap((option) => helpRow(`--${option.name}`, option.help as string)),
    ...helpRow('--help', 'print this and exit'),
    ...helpRow('--version', 'print the version and exit'),
    '',
    'Redis settings tskv accepts as Redis 7 does (same checks, CONFIG GET/SET/REWRITE) but does not',
    'act on yet; the Redis 6 ziplist names are aliases of the listpack ones:',
    ...wrap(stored, '  '),
  ].join('\n');
}
