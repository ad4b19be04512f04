// src/main.ts: the tskv process. Parses redis-server style flags, opens the engine and the
// keyspace, registers the command table, listens, runs the active expiry cycle, and shuts down
// cleanly on SIGTERM / SIGINT.
// Invariants:
// - A bad or unknown flag prints one line to stderr and exits 1; --help prints usage, exits 0.
//   So does a --dir that is not a directory, cannot be created, or is not writable.
// - Shutdown: stop accepting, stop reading, send the replies of commands already run (their
//   commits settle first), close the engine (flushes and syncs the WAL), exit 0, all within
//   limits.shutdownMs; past that, or on a second signal, exit 1 at once.
import { accessSync, constants as fsConstants, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Engine, RealFileSystem, type EngineLogLevel } from '../storage/index.js';
import { ClusterState } from './cluster/cluster-state.js';
import { decodeNodesFile } from './cluster/nodes-file.js';
import { registerAllCommands } from './commands/index.js';
import { ConfigError, limits, parseArguments, type ServerConfig } from './ops/config.js';
import { resolveCommandLine } from './ops/config-file.js';
import { createLogger, setLogLevel } from './ops/logger.js';
import { budgetFor } from './ops/memory-budget.js';
import { startMetricsServer, type MetricsServer } from './ops/metrics-http.js';
import { Keyspace, KeyspaceGarbage } from './keyspace/keyspace.js';
import { startActiveExpire } from './keyspace/active-expire.js';
import { startSealer } from './types/timeseries/sealer.js';
import { Listener } from './net/listener.js';
import { publishReplicatedEvents } from './dispatch/notify.js';
import { ServerState, TSKV_VERSION, type Logger } from './dispatch/server-state.js';
import { Replication } from './replication/replication.js';

function parseOrExit(): { config: ServerConfig; configFile: string | undefined } {
  try {
    const commandLine = resolveCommandLine(process.argv.slice(2));
    const parsed = parseArguments(commandLine.arguments);
    if (parsed.kind === 'help') {
      process.stdout.write(`${parsed.text}\n`);
      process.exit(0);
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`tskv v=${TSKV_VERSION}\n`);
      process.exit(0);
    }
    return { config: parsed.config, configFile: commandLine.configFile };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tskv: ${error.message}\n`);
    process.exit(1);
  }
}

/** The errno part of a node:fs error message: `EACCES: permission denied` without `, mkdir '...'`. */
function errnoReason(error: unknown): string {
  return error instanceof Error ? error.message.replace(/, \w+ '.*'$/, '') : String(error);
}

/** Why --dir cannot hold the data (after creating it if missing), or undefined when it can. */
function dataDirProblem(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'is not a directory' : `can't be created: ${errnoReason(error)}`;
  }
  try {
    if (!statSync(dir).isDirectory()) return 'is not a directory';
    accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    return `is not writable: ${errnoReason(error)}`;
  }
  return undefined;
}

function prepareDataDirOrExit(dir: string): void {
  const problem = dataDirProblem(dir);
  if (problem === undefined) return;
  process.stderr.write(`tskv: --dir '${dir}' ${problem}\n`);
  process.exit(1);
}

/** Redis's activeExpireCycle (src/active-expire.ts): bounded deletes of expired keys, committed. */
/** The background jobs on the keyspace: active expiry, and the time series sealer. */
function startExpiry(state: ServerState): { stop(): void } {
  // a replica writes only its primary's batches: no expiry or sealing of its own
  const isReplica = () => state.replication?.isReplica() ?? false;
  const canWrite = () => !state.shuttingDown && !isReplica() && state.engine.failure() === undefined && state.engine.writeStallMs() === 0;
  const sealer = startSealer(state.keyspace, state.sealer, {
    canWrite,
    onCommit: (commit) => void state.trackCommit(commit),
    onError: (error) => state.logger.warn({ error: String(error) }, 'the time series sealer could not commit'),
  });
  const expiry = startActiveExpire(state.keyspace, {
    intervalMs: limits.activeExpireIntervalMs,
    entriesPerTickMax: limits.activeExpireEntriesMax,
    canWrite: () => state.activeExpireEnabled && canWrite(),
    onCommit: (commit) => void state.trackCommit(commit),
    onError: (error) => state.logger.warn({ error: String(error) }, 'active expiry could not commit'),
  });
  return {
    stop: () => {
      expiry.stop();
      sealer.stop();
    },
  };
}

function installSignalHandlers(state: ServerState, listener: Listener, expiry: () => { stop(): void }, metricsServer: MetricsServer | undefined): void {
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) {
      state.logger.warn({ reason }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    state.shuttingDown = true;
    state.logger.info({ reason }, 'shutting down');
    const hardStop = setTimeout(() => {
      state.logger.error({ ms: limits.shutdownMs }, 'shutdown took too long: exiting now');
      process.exit(1);
    }, limits.shutdownMs);
    hardStop.unref();
    expiry().stop();
    state.replication?.stop();
    state.metrics.stopSampling();
    state.memoryBudget.stop();
    await metricsServer?.close();
    await listener.close(Date.now() + limits.shutdownMs / 2);
    try {
      await state.engine.close();
    } catch (error) {
      state.logger.error({ error: String(error) }, 'engine close failed');
      process.exit(1);
    }
    state.logger.info({}, 'tskv is now ready to exit, bye bye');
    process.exit(0);
  };
  state.requestShutdown = (reason) => void shutdown(reason);
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Cluster mode: the node's state from its nodes file, then a newer topology file if one is given. */
function openClusterOrExit(config: ServerConfig, logger: Logger): ClusterState {
  try {
    const cluster = ClusterState.open({
      fs: new RealFileSystem(), file: path.resolve(config.dir, config.clusterConfigFile), port: config.port, binds: config.bind,
      announceIp: config.clusterAnnounceIp, requireFullCoverage: () => config.clusterRequireFullCoverage,
    });
    if (config.clusterTopologyFile !== '') {
      const file = path.resolve(config.clusterTopologyFile);
      const { topology } = decodeNodesFile(file, readFileSync(file, 'utf8'));
      if (cluster.applyStartTopology(topology)) logger.info({ file, version: topology.version }, 'cluster topology loaded from file');
    }
    logger.info({ id: cluster.myId, version: cluster.version, file: cluster.file, inTopology: cluster.myself() !== undefined }, 'cluster mode');
    return cluster;
  } catch (error) {
    process.stderr.write(`tskv: cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/** The master this node's topology entry names, when it is a replica. */
function clusterMaster(cluster: ClusterState): { host: string; port: number } | undefined {
  const myself = cluster.myself();
  return myself?.role === 'slave' && myself.masterId !== undefined ? cluster.topology.node(myself.masterId) : undefined;
}

/**
 * Cluster mode: a node whose topology entry is a replica follows its master (REPLICAOF host port,
 * a no-op when it already does); one listed as a master stops following (REPLICAOF NO ONE).
 */
function followClusterRole(state: ServerState, replication: Replication, cluster: ClusterState): void {
  const master = clusterMaster(cluster);
  try {
    if (master !== undefined) replication.replicaOf(master.host, master.port);
    else if (cluster.myself()?.role === 'master' && replication.isReplica()) replication.promote();
  } catch (error) {
    state.logger.warn({ error: String(error) }, 'could not follow the cluster topology\'s replication role now');
  }
}

/**
 * The engine and the keyspace on --dir. A replica's keyspace is read-only (it writes only its
 * primary's batches). Namespaces dropped by FLUSHDB/FLUSHALL and the elements of dead aggregates
 * are reclaimed by compaction (keyspace/garbage.ts); expiry is the keyspace's alone (the engine
 * never sees one).
 */
async function openStorage(config: ServerConfig, logger: Logger, readOnly: boolean): Promise<{ engine: Engine; keyspace: Keyspace }> {
  const engineLogger = (level: EngineLogLevel, msg: string, fields: Record<string, unknown>) => logger[level](fields, msg);
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({
    dir: config.dir,
    syncPolicy: config.appendfsync,
    ...budgetFor(config), // memtableBytesMax, cacheBytes (ops/memory-budget.ts)
    logger: engineLogger,
    compactionFilter: garbage.filter,
    dropExpired: false,
    flushWorker: config.flushWorker,
  });
  try {
    const keyspace = await Keyspace.open(engine, { garbage, readOnly, log: (message, fields) => logger.info(fields, message) });
    return { engine, keyspace };
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
}

async function main(): Promise<void> {
  const { config, configFile } = parseOrExit();
  prepareDataDirOrExit(config.dir);
  const log = createLogger({ level: config.loglevel });
  const logger: Logger = log;
  const cluster = config.clusterEnabled ? openClusterOrExit(config, logger) : undefined;
  const master = cluster === undefined ? undefined : clusterMaster(cluster);
  if (master !== undefined) config.replicaof = { host: master.host, port: master.port }; // opened read-only, resumed as a replica
  const engineLogger = (level: EngineLogLevel, msg: string, fields: Record<string, unknown>) => logger[level](fields, msg);
  let engine: Engine;
  let keyspace: Keyspace;
  try {
    ({ engine, keyspace } = await openStorage(config, logger, config.replicaof !== undefined));
  } catch (error) {
    logger.error({ dir: config.dir, error: String(error) }, 'could not open the data directory');
    process.exit(1);
  }
  registerAllCommands();
  const state = new ServerState({ config, engine, keyspace, logger, configFile });
  state.cluster = cluster;
  state.setLogLevel = (level) => setLogLevel(log, level);
  const listener = new Listener(state);
  let ports: number[];
  try {
    ports = await listener.listen();
  } catch (error) {
    logger.error({ bind: config.bind, port: config.port, error: String(error) }, 'could not listen');
    await engine.close();
    process.exit(1);
  }
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort > 0) {
    try {
      metricsServer = await startMetricsServer({
        metrics: state.metrics, hosts: config.bind, port: config.metricsPort,
        onError: (error) => logger.warn({ error: String(error) }, 'metrics scrape failed'),
      });
    } catch (error) {
      logger.error({ bind: config.bind, port: config.metricsPort, error: String(error) }, 'could not listen for metrics');
      await engine.close();
      process.exit(1);
    }
  }
  state.metrics.startSampling();
  state.memoryBudget.start();
  let expiry = startExpiry(state);
  const replication = new Replication(state);
  replication.hooks = {
    open: (readOnly) => openStorage(config, logger, readOnly),
    replaced: (previous) => {
      // a full copy from the primary replaced the engine and the keyspace: the hooks of the layers
      // above (WATCH, blocking pops, Pub/Sub, expired events) and the background jobs move over
      const current = state.keyspace;
      current.onKeyModified = previous.onKeyModified;
      current.onDbFlushed = previous.onDbFlushed;
      current.onKeyExpired = previous.onKeyExpired;
      state.pubsub.useKeyspace(current);
      state.memoryBudget.apply(true); // the new engine gets the budget CONFIG SET may have moved
      expiry.stop();
      expiry = startExpiry(state);
    },
    roleChanged: (role) => logger.info({ role }, `role changed to ${role}`),
    keyspaceEvents: (events, durable) => publishReplicatedEvents(state, events, durable),
    fatal: (message, error) => {
      logger.error({ error: String(error) }, message);
      process.exit(1);
    },
  };
  state.replication = replication;
  state.pubsub.keyspaceEventLog = replication.keyspaceEvents;
  replication.start();
  if (cluster !== undefined) {
    cluster.onChange = () => followClusterRole(state, replication, cluster);
    followClusterRole(state, replication, cluster);
  }
  installSignalHandlers(state, listener, () => expiry, metricsServer);
  logger.info(
    { version: TSKV_VERSION, bind: config.bind, port: ports[0], dir: config.dir, appendfsync: config.appendfsync, configFile, metricsPort: metricsServer?.ports[0] },
    `tskv ${TSKV_VERSION} ready to accept connections on ${config.bind.join(' ')} port ${ports[0]} (dir ${config.dir}, appendfsync ${config.appendfsync})`,
  );
}

await main();
