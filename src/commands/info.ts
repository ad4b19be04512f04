// src/commands/info.ts: INFO [section ...], in Redis 7.2's layout: `# Section` headers, `field:value`
// lines ending in CRLF, sections separated by a blank line; a bulk string in RESP2, a verbatim
// `txt` string in RESP3. Redis's field names where Redis has one (ioredis's ready check reads
// `loading:0`; tools read `redis_version`, `db0:keys=...`), tskv's own fields prefixed `tskv_`.
// Sections: server clients memory persistence stats replication cpu modules errorstats cluster
// keyspace (default); commandstats too with `all` / `everything` or by name.
import os from 'node:os';
import v8 from 'node:v8';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { limits } from '../ops/config.js';
import { engineResidentBytes } from '../ops/memory-budget.js';
import { readExecutableResidentBytes } from '../ops/memory-map.js';
import { blockingCounts } from '../dispatch/blocking.js';
import { REDIS_COMPATIBLE_VERSION, TSKV_VERSION, type ServerState } from '../dispatch/server-state.js';
import { listEndCacheStats } from '../types/list-end-cache.js';
import { zsetHeadCacheStats } from '../types/zset-head-cache.js';

type Fields = Array<[string, string | number]>;

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'tskv', 'keyspace'] as const;
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, -1), 'commandstats', 'latencystats', 'keyspace'] as const;

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit]}`;
}

function serverFields(state: ServerState): Fields {
  const uptimeS = Math.floor((Date.now() - state.startedAtMs) / 1000);
  return [
    ['redis_version', REDIS_COMPATIBLE_VERSION], ['tskv_version', TSKV_VERSION], ['redis_git_sha1', '00000000'], ['redis_git_dirty', 0],
    ['redis_build_id', '0'], ['redis_mode', state.cluster === undefined ? 'standalone' : 'cluster'], ['os', `${os.type()} ${os.release()} ${os.arch()}`], ['arch_bits', 64],
    ['monotonic_clock', 'POSIX clock_gettime'], ['multiplexing_api', 'epoll'], ['atomicvar_api', 'c11-builtin'], ['node_version', process.version],
    ['process_id', process.pid], ['process_supervised', 'no'], ['run_id', state.runId], ['tcp_port', state.listeningPorts[0] ?? state.config.port],
    ['server_time_usec', Date.now() * 1000], ['uptime_in_seconds', uptimeS], ['uptime_in_days', Math.floor(uptimeS / 86400)],
    ['hz', state.config.hz], ['configured_hz', state.config.hz], ['lru_clock', Math.floor(Date.now() / 1000) & 0xffffff], ['executable', process.argv[1] ?? ''],
    ['config_file', state.configFile ?? ''], ['io_threads_active', 0],
  ];
}

function clientFields(state: ServerState): Fields {
  let inputMax = 0;
  let outputMax = 0;
  for (const client of state.clients.values()) {
    inputMax = Math.max(inputMax, client.connection.queryBufferBytes());
    outputMax = Math.max(outputMax, client.connection.replyBytesPending());
  }
  const blocking = blockingCounts(state);
  return [
    ['connected_clients', state.clients.size], ['cluster_connections', 0], ['maxclients', state.config.maxclients],
    ['client_recent_max_input_buffer', inputMax], ['client_recent_max_output_buffer', outputMax], ['blocked_clients', blocking.blockedClients],
    ['tracking_clients', 0], ['clients_in_timeout_table', blocking.timedClients], ['total_blocking_keys', blocking.blockingKeys], ['total_blocking_keys_on_nokey', 0],
  ];
}

function memoryFields(state: ServerState): Fields {
  const memory = process.memoryUsage();
  const used = memory.heapUsed + memory.external;
  const engine = state.engine.stats();
  const budget = state.memoryBudget.stats();
  // where RSS goes: engine buffers (outside the JS heap), the JS heap, and what neither accounts for
  // (V8's reserve beyond heapTotal, stacks, freed memory the allocator keeps)
  const engineBytes = engineResidentBytes(engine);
  const heapResidentBytes = v8.getHeapStatistics().total_physical_size; // heapTotal less pages V8 reserved but gave back (an idle young generation)
  const executableBytes = readExecutableResidentBytes(); // node's own binary pages (ops/memory-map.ts)
  const zsetCache = zsetHeadCacheStats(state.keyspace); // its entries in the JS heap, members in tskv_external_other_bytes
  const listCache = listEndCacheStats(state.keyspace); // its runs' slabs in tskv_external_other_bytes, the rest in the JS heap
  return [
    ['used_memory', used], ['used_memory_human', human(used)], ['used_memory_rss', memory.rss], ['used_memory_rss_human', human(memory.rss)],
    ['used_memory_peak', used], ['used_memory_peak_human', human(used)], ['total_system_memory', os.totalmem()],
    ['total_system_memory_human', human(os.totalmem())], ['maxmemory', state.config.maxmemoryBytes], ['maxmemory_human', human(state.config.maxmemoryBytes)], ['maxmemory_policy', state.config.maxmemoryPolicy],
    ['mem_fragmentation_ratio', (memory.rss / Math.max(1, used)).toFixed(2)], ['mem_allocator', 'v8'],
    ['tskv_memtable_bytes', engine.memtableBytes], ['tskv_immutable_memtable_bytes', engine.immutableMemtableBytes],
    ['tskv_memtable_arena_bytes', engine.memtableArenaBytes], ['tskv_memtable_index_bytes', engine.memtableIndexBytes], ['tskv_memtable_bytes_max', engine.memtableBytesMax],
    ['tskv_cache_bytes', engine.blockCacheBytes], ['tskv_cache_blocks', engine.blockCacheBlocks], ['tskv_cache_bytes_max', budget.cacheBytesMax || engine.cacheBytes],
    ['tskv_table_index_filter_bytes', engine.tableCacheBytes], ['tskv_engine_bytes', engineBytes],
    ['tskv_zset_cache_bytes', zsetCache.bytes], ['tskv_zset_cache_bytes_max', zsetCache.bytesMax], ['tskv_zset_cache_zsets', zsetCache.zsets],
    ['tskv_zset_cache_hits', zsetCache.hits], ['tskv_zset_cache_misses', zsetCache.misses],
    ['tskv_list_cache_bytes', listCache.bytes], ['tskv_list_cache_bytes_max', listCache.bytesMax], ['tskv_list_cache_lists', listCache.lists],
    ['tskv_list_cache_hits', listCache.hits], ['tskv_list_cache_fills', listCache.fills],
    ['tskv_js_heap_used', memory.heapUsed], ['tskv_js_heap_total', memory.heapTotal], ['tskv_js_heap_resident', heapResidentBytes],
    ['tskv_external_other_bytes', Math.max(0, memory.external - engineBytes)], ['tskv_rss_executable_bytes', executableBytes],
    ['tskv_rss_unaccounted_bytes', Math.max(0, memory.rss - heapResidentBytes - Math.max(memory.external, engineBytes) - executableBytes)],
    ['tskv_maxmemory_pressure_events', budget.pressureEvents], ['tskv_idle_gc_runs', budget.idleCollections],
  ];
}

function persistenceFields(state: ServerState): Fields {
  const engine = state.engine.stats();
  const failure = state.engine.failure();
  return [
    ['loading', 0], ['async_loading', 0], ['current_cow_peak', 0], ['rdb_changes_since_last_save', 0], ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(state.startedAtMs / 1000)], ['rdb_last_bgsave_status', 'ok'], ['aof_enabled', 1],
    ['aof_rewrite_in_progress', 0], ['aof_rewrite_scheduled', 0], ['aof_last_bgrewrite_status', 'ok'],
    ['aof_last_write_status', failure ? 'err' : 'ok'], ['tskv_appendfsync', state.config.appendfsync],
    ['tskv_engine_failed', failure ? 1 : 0], ['tskv_engine_failure', failure ? failure.message.replace(/[\r\n]/g, ' ') : ''],
    ['tskv_wal_appends', engine.walAppends], ['tskv_wal_bytes', engine.walBytes], ['tskv_fsyncs', engine.fsyncs],
    ['tskv_sstable_files', engine.sstableFiles], ['tskv_sstable_bytes', engine.sstableBytes], ['tskv_flushes', engine.flushes],
    ['tskv_compactions', engine.compactions], ['tskv_compaction_in_progress', engine.compactionRunning ? 1 : 0], ['tskv_stall_count', engine.stallCount], ['tskv_stall_ms', engine.stallMs],
    ['tskv_bloom_negatives', engine.bloomNegatives], ['tskv_last_sequence', engine.lastSequence],
  ];
}

function statsFields(state: ServerState): Fields {
  const stats = state.stats;
  return [
    ['total_connections_received', stats.connectionsReceived], ['total_commands_processed', stats.commandsProcessed],
    ...state.metrics.instantaneousFields(), ['total_net_input_bytes', stats.netInputBytes],
    ['total_net_output_bytes', stats.netOutputBytes], ['rejected_connections', stats.connectionsRejected], ['expired_keys', state.expiredKeys()],
    ['evicted_keys', 0], ['keyspace_hits', stats.keyspaceHits], ['keyspace_misses', stats.keyspaceMisses],
    ['pubsub_channels', state.pubsub.channelCount()], ['pubsub_patterns', state.pubsub.patternCount()],
    ['pubsubshard_channels', state.pubsub.shardChannelCount()], ['total_error_replies', stats.errorReplies],
    ['client_output_buffer_limit_disconnections', stats.outputLimitDisconnections], ['tskv_backpressure_events', stats.backpressureEvents],
    ['tskv_turn_yields', stats.yieldsPerTurn], ['tskv_protocol_errors', stats.protocolErrors], ['tskv_commits_failed', stats.commitsFailed],
    ['tskv_storage_read_errors', stats.storageReadErrors],
    ['tskv_pipeline_depth_max', limits.pipelineDepthMax], ['tskv_reply_bytes_pending_max', limits.replyBytesPendingMax],
    ['tskv_reply_streams', stats.replyStreams], ['tskv_reply_streams_aborted', stats.replyStreamsAborted],
    ['tskv_reply_streams_active', state.replyStreamsActive], ['tskv_reply_stream_bytes_pending_max', limits.replyStreamBytesPendingMax],
    ['tskv_open_snapshots', state.engine.stats().openSnapshots],
  ];
}

function cpuFields(): Fields {
  const usage = process.cpuUsage();
  return [['used_cpu_sys', (usage.system / 1e6).toFixed(6)], ['used_cpu_user', (usage.user / 1e6).toFixed(6)], ['used_cpu_sys_children', '0.000000'], ['used_cpu_user_children', '0.000000']];
}

function keyspaceFields(state: ServerState): Fields {
  const fields: Fields = [];
  for (let db = 0; db < state.config.databases; db++) {
    const keys = state.keyspace.dbSize(db);
    if (keys > 0) fields.push([`db${db}`, `keys=${keys},expires=${state.keyspace.expiresCount(db)},avg_ttl=${state.keyspace.averageTtlMs(db)}`]);
  }
  return fields;
}

const SECTIONS: Record<string, { title: string; fields: (state: ServerState) => Fields }> = {
  server: { title: 'Server', fields: serverFields },
  clients: { title: 'Clients', fields: clientFields },
  memory: { title: 'Memory', fields: memoryFields },
  persistence: { title: 'Persistence', fields: persistenceFields },
  stats: { title: 'Stats', fields: statsFields },
  replication: {
    title: 'Replication',
    fields: (state) => state.replication?.infoFields() ?? [['role', 'master'], ['connected_slaves', 0], ['master_failover_state', 'no-failover'], ['master_replid', state.runId], ['master_repl_offset', 0], ['repl_backlog_active', 0]],
  },
  cpu: { title: 'CPU', fields: cpuFields },
  modules: { title: 'Modules', fields: () => [] },
  errorstats: { title: 'Errorstats', fields: (state) => state.metrics.errorStatsFields() },
  cluster: { title: 'Cluster', fields: (state) => [['cluster_enabled', state.cluster === undefined ? 0 : 1]] },
  keyspace: { title: 'Keyspace', fields: keyspaceFields },
  commandstats: { title: 'Commandstats', fields: (state) => state.metrics.commandStatsFields() },
  latencystats: { title: 'Latencystats', fields: (state) => state.metrics.latencyStatsFields() },
  tskv: { title: 'tskv', fields: (state) => [...timeSeriesFields(state), ...state.metrics.tskvFields()] },
};

/** Time series and their samples over every database, and the raw samples waiting for the sealer. */
function timeSeriesFields(state: ServerState): Fields {
  let series = 0;
  let samples = 0;
  for (let db = 0; db < state.config.databases; db++) {
    const counts = state.keyspace.seriesCounts(db);
    series += counts.series;
    samples += counts.samples;
  }
  return [['tskv_timeseries', series], ['tskv_timeseries_samples', samples], ['tskv_timeseries_sealer_queue', state.sealer.size]];
}

/** The INFO text for the requested section names (lower case; empty = default). */
export function infoText(state: ServerState, requested: readonly string[]): string {
  let names: string[] = [];
  if (requested.length === 0) names = [...DEFAULT_SECTIONS];
  for (const name of requested) {
    if (name === 'default') names.push(...DEFAULT_SECTIONS);
    else if (name === 'all' || name === 'everything') names.push(...ALL_SECTIONS);
    else if (SECTIONS[name]) names.push(name);
  }
  const parts: string[] = [];
  for (const name of new Set(names)) {
    const section = SECTIONS[name];
    if (section === undefined) continue;
    const lines = section.fields(state).map(([field, value]) => `${field}:${value}\r\n`);
    parts.push(`# ${section.title}\r\n${lines.join('')}`);
  }
  return parts.join('\r\n');
}

export const infoCommands: CommandSpec[] = [
  {
    name: 'info', arity: -1, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', since: '1.0.0',
    summary: 'Returns information and statistics about the server.',
    handler: (ctx: CommandContext, args) => {
      const text = infoText(ctx.server, args.slice(1).map((arg) => arg.toString('latin1').toLowerCase()));
      ctx.out.verbatim(text, 'txt');
    },
  },
];
