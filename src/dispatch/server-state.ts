// src/dispatch/server-state.ts: the state shared by every connection and command: configuration, engine,
// keyspace, the connected clients and the counters INFO prints.
// Invariants:
// - clients holds exactly the open connections that passed accept (maxclients, protected mode).
// - lastCommit is the newest keyspace commit not yet settled: a reply produced after it is held
//   until it settles, so no client is shown a write before that write is durable.
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../storage/index.js';
import type { ClientState } from './client-state.js';
import type { LogLevel, ServerConfig } from '../ops/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { Replication } from '../replication/replication.js';
import { MigrationLocks } from '../cluster/migration-locks.js';
import { Sealer } from '../types/timeseries/sealer.js';
import { Metrics, type ServerCounters } from '../ops/metrics.js';
import { MemoryBudget } from '../ops/memory-budget.js';
import { Slowlog } from '../ops/slowlog.js';
import { EVENT, publishKeyspaceEvent } from './notify.js';
import { PubSub } from './pubsub.js';

export const TSKV_VERSION = '0.1.0';
export const REDIS_COMPATIBLE_VERSION = '7.2.0';

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ServerStats {
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  backpressureEvents: number; // times a client's reading paused because a bound was reached
  yieldsPerTurn: number; // times a client yielded after commandsPerTurnMax commands
  protocolErrors: number;
  errorReplies: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  commitsFailed: number;
  storageReadErrors: number; // commands failed by a storage error met while reading (dispatch.ts)
  outputLimitDisconnections: number; // clients closed by client-output-buffer-limit (Redis 7.4's INFO field)
  replyStreams: number; // replies streamed in parts (dispatch/reply-stream.ts), started
  replyStreamsAborted: number; // of those, ended by their client going before the last part
  resetAtMs: number;
}

function emptyStats(nowMs: number): ServerStats {
  return {
    connectionsReceived: 0, connectionsRejected: 0, commandsProcessed: 0, netInputBytes: 0, netOutputBytes: 0,
    backpressureEvents: 0, yieldsPerTurn: 0, protocolErrors: 0, errorReplies: 0, keyspaceHits: 0,
    keyspaceMisses: 0, commitsFailed: 0, storageReadErrors: 0, outputLimitDisconnections: 0, replyStreams: 0, replyStreamsAborted: 0, resetAtMs: nowMs,
  };
}

export class ServerState {
  readonly config: ServerConfig;
  /** Replaced only by a replica's full copy from its primary (replication.ts installFullSync). */
  engine: Engine;
  keyspace: Keyspace;
  readonly logger: Logger;
  readonly clients = new Map<number, ClientState>();
  /** Clients in MONITOR mode (commands/monitor.ts). */
  readonly monitors = new Set<ClientState>();
  /** Pub/Sub subscriptions and delivery; keyspace notifications go through it (notify.ts). */
  readonly pubsub: PubSub;
  readonly startedAtMs = Date.now();
  readonly runId = randomBytes(20).toString('hex');
  stats: ServerStats = emptyStats(Date.now());
  /** Replies streaming now (dispatch/reply-stream.ts), each holding an engine snapshot. */
  replyStreamsActive = 0;
  readonly metrics: Metrics;
  readonly memoryBudget: MemoryBudget; // maxmemory as the engine's memtable and cache sizes
  readonly slowlog: Slowlog;
  /** Folds time series' raw samples into chunks in the background (types/timeseries/sealer.ts). */
  readonly sealer = new Sealer();
  /** Cluster mode (--cluster-enabled yes): this node's view of the cluster; undefined otherwise. */
  cluster: ClusterState | undefined = undefined;
  /** Replicas and REPLICAOF (src/replication/); set by main.ts. */
  replication: Replication | undefined = undefined;
  /** A replica installing a full copy from its primary: commands get -LOADING. */
  loading = false;
  /** Keys a MIGRATE is moving now: commands naming them get TRYAGAIN (cluster/migration-locks.ts). */
  readonly migrationLocks = new MigrationLocks();
  /**
   * Set by a handler whose reply depends on work that finishes after it returns (MIGRATE waits
   * for the target): dispatch takes it and the reply waits for it; a rejection with a
   * CommandError replaces the reply by that error.
   */
  replyWaitsFor: Promise<void> | undefined = undefined;
  /** Absolute path of the config file named on the command line (CONFIG REWRITE, INFO config_file). */
  readonly configFile: string | undefined;
  listeningPorts: number[] = [];
  shuttingDown = false;
  /** Set by main.ts: SHUTDOWN runs the same path as SIGTERM. */
  requestShutdown: (reason: string) => void = () => {};
  /** Set by main.ts: CONFIG SET loglevel. */
  setLogLevel: (level: LogLevel) => void = () => {};
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the active expiry cycle off (Redis's tests use it). */
  activeExpireEnabled = true;
  /** Commands per second over the last second, sampled by sampleOps() once a second. */
  instantaneousOpsPerSec = 0;
  private opsSampledCount = 0;
  private expiredKeysAtReset = 0;
  private nextClientId = 1;
  private lastCommit: Promise<unknown> | undefined = undefined;

  constructor(options: { config: ServerConfig; engine: Engine; keyspace: Keyspace; logger: Logger; configFile?: string | undefined }) {
    this.config = options.config;
    this.configFile = options.configFile;
    this.memoryBudget = new MemoryBudget(() => this.engine, this.config, () => this.stats.commandsProcessed);
    this.metrics = new Metrics({ sources: { server: () => this.counters(), engine: () => this.engine.stats() }, settings: this.config });
    this.slowlog = new Slowlog(this.config);
    this.engine = options.engine;
    this.keyspace = options.keyspace;
    this.logger = options.logger;
    this.pubsub = new PubSub(this.keyspace, () => this.pendingCommit());
    this.keyspace.onKeyExpired = (db, key) => publishKeyspaceEvent(this, EVENT.expired, 'expired', key, db);
  }

  /** The counters the metrics report (metrics.ts reads them when a report is made). */
  counters(): ServerCounters {
    const stats = this.stats;
    return {
      connectionsOpen: this.clients.size, connectionsReceived: stats.connectionsReceived, rxBytes: stats.netInputBytes,
      txBytes: stats.netOutputBytes, backpressureEvents: stats.backpressureEvents, errors: stats.errorReplies,
      commandsProcessed: stats.commandsProcessed,
    };
  }

  allocateClientId(): number {
    return this.nextClientId++;
  }

  /** Records a commit promise as the newest one; returns a promise that never rejects. */
  trackCommit(commit: Promise<void>): Promise<unknown> {
    const settled = commit.then(
      () => undefined,
      (error: unknown) => error,
    );
    this.lastCommit = settled;
    void settled.then(() => {
      if (this.lastCommit === settled) this.lastCommit = undefined;
    });
    return settled;
  }

  /** The newest unsettled commit, if any (a read executed now waits for it before its reply leaves). */
  pendingCommit(): Promise<unknown> | undefined {
    return this.lastCommit;
  }

  /** Called once a second by the listener's cron. */
  sampleOps(): void {
    this.instantaneousOpsPerSec = Math.max(0, this.stats.commandsProcessed - this.opsSampledCount);
    this.opsSampledCount = this.stats.commandsProcessed;
  }

  /** Keys removed because they expired (lazily on access or by the active cycle) since RESETSTAT. */
  expiredKeys(): number {
    return this.keyspace.expiredKeysTotal - this.expiredKeysAtReset;
  }

  resetStats(): void {
    this.opsSampledCount = 0;
    this.expiredKeysAtReset = this.keyspace.expiredKeysTotal;
    this.stats = emptyStats(Date.now());
    this.metrics.reset();
  }
}
