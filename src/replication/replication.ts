// src/replication/replication.ts: this server's place in replication: master (a primary, maybe
// with replicas) or replica (REPLICAOF host port), as Redis's replication.c, on WAL sequence
// numbers instead of byte offsets:
//   primary   PSYNC hands a connection over (accept): CONTINUE from the replica's seq + 1 while
//             the WAL holds it and the replid is ours (or our replid2 up to second-seq), else
//             FULLRESYNC: a checkpoint, then the WAL after it (replica-link.ts). Batches are shipped
//             only once durable here. WAIT counts replicas whose ACK (durable there) covers a seq.
//   replica   follower.ts applies the primary's batches with its sequence numbers; a full copy
//             replaces the data (installFullSync: close, installCheckpoint, reopen). Writes are
//             refused (dispatch's gate), the keyspace is read-only, the background jobs that
//             write (active expiry, the time series sealer) do not run (main.ts asks isReplica()).
// The API the cluster code may call: replicaOf(host, port), promote(), status() (main.ts makes a
// cluster node follow its topology entry's role with the first two); and the commands'
// (commands/replication.ts): accept, wait, ackedCount, infoFields, roleReply, refusal.
// Invariants:
// - ids (replication-ids.ts) name the history the data belongs to, and are stored before the data
//   changes history: promote() takes a new replid keeping the old one as replid2 with the durable
//   sequence number as second-seq; a full copy marks the history unknown until it is installed.
// - Retention: while a replica is attached, or was within repl-backlog-ttl, obsolete WALs are kept
//   up to repl-backlog-size bytes and the newest batches (limits.replicaTailBytes) in memory;
//   otherwise none (the engine's behaviour without replicas).
// - A primary with replicas fsyncs at least every limits.replicaSyncIntervalMs under everysec / no,
//   so what replicas wait for (durable batches) does not lag a whole second.
// - Role changes and full copies are refused while loading (a full copy being installed).
// - Keyspace events (keyspace-events.ts): recorded while an attached replica wants them (its
//   notify-keyspace-events is not empty, or a replica of its wants them: REPLCONF TSKV-EVENTS),
//   shipped with their batches to those replicas and then dropped (a replica resuming after a
//   broken link, or one that just started to want them, gets none for what came before); a
//   replica publishes those it receives (hooks.keyspaceEvents), and keeps them for its own
//   replicas the same way. A primary whose replicas want none records nothing.
import type { Socket } from 'node:net';
import type { RespReader } from '../../protocol/index.js';
import { installCheckpoint, RealFileSystem, WalGoneError, type Engine, type EngineCheckpoint, type StagedTable, type WalCursor } from '../../storage/index.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { limits, type ServerConfig } from '../ops/config.js';
import { Follower, type FollowerHost } from './follower.js';
import { ReplicaLink, type LinkHost, type ReplicationLogger } from './replica-link.js';
import { freshIds, loadIds, newReplid, NO_REPLID, saveIds, UNKNOWN_REPLID, type ReplicationIds } from './replication-ids.js';
import { KeyspaceEventLog, type KeyspaceEvent } from './keyspace-events.js';
import { infoFields, roleReply, type InfoFields, type InfoSource, type RoleReply } from './replication-info.js';

export type { ReplicationLogger } from './replica-link.js';
export type { Role } from './replication-info.js';
import type { Role } from './replication-info.js';

/** What replication needs of the server (ServerState is one). */
export interface ReplicationHost {
  readonly config: ServerConfig;
  engine: Engine;
  keyspace: Keyspace;
  readonly logger: ReplicationLogger;
  readonly listeningPorts: readonly number[];
  loading: boolean;
}

/** Set by main.ts: how storage is opened, and who hears of a swap or a role change. */
export interface StorageHooks {
  open(readOnly: boolean): Promise<{ engine: Engine; keyspace: Keyspace }>;
  /** The engine and keyspace were swapped (a full copy): previous is the keyspace before. */
  replaced(previous: Keyspace): void;
  roleChanged(role: Role): void;
  fatal(message: string, error: unknown): void;
  /** A replica applied a batch with these keyspace events: published once durable settles. */
  keyspaceEvents?(events: readonly KeyspaceEvent[], durable: Promise<void>): void;
}

export interface PsyncRequest {
  replid: string;
  seq: number;
  address: string;
  listeningPort: number;
}

/** A WAIT in progress. */
interface Waiter {
  seq: number;
  count: number;
  timer: NodeJS.Timeout | undefined;
  done: (result: number | Error) => void;
}

export const REPLICATION_ERRORS = {
  unblockedRoleChange: 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
  readOnly: "READONLY You can't write against a read only replica.",
  loading: 'LOADING Redis is loading the dataset in memory',
} as const;

/** What the cluster code (C1) may read: role, offsets, the primary link, the replicas. */
export interface ReplicationStatus {
  role: Role;
  replid: string;
  sequence: number; // the newest write applied here (master_repl_offset / slave_repl_offset)
  durableSequence: number; // fsynced here (what this server acks)
  primary: { host: string; port: number; linkUp: boolean; state: string } | undefined;
  replicas: Array<{ address: string; port: number; state: string; ackSeq: number }>;
}

const CRON_MS = 100;
const SLOW_CRON_EVERY = 10; // 1 s tasks: pings, timeouts, retention

export class Replication {
  role: Role = 'master';
  ids: ReplicationIds = freshIds();
  hooks: StorageHooks | undefined = undefined;
  readonly stats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0, replicaFullSyncs: 0, replicaPartialSyncs: 0 };
  private readonly links = new Set<ReplicaLink>();
  private follower: Follower | undefined = undefined;
  private readonly waiters = new Set<Waiter>();
  private cron: NodeJS.Timeout | undefined = undefined;
  private ticks = 0;
  private pumpScheduled = false;
  private stopDurable: (() => void) | undefined = undefined;
  private lastReplicaMs = 0; // when a replica was last attached (repl-backlog-ttl)
  private readonly linkHost: LinkHost;
  /** The keyspace events kept for replicas (notify.ts records them through the server's pubsub). */
  readonly keyspaceEvents: KeyspaceEventLog;

  constructor(private readonly host: ReplicationHost) {
    this.keyspaceEvents = new KeyspaceEventLog(() => host.engine.sequence() + 1);
    this.linkHost = {
      logger: host.logger,
      eventsOf: (firstSeq, lastSeq) => this.keyspaceEvents.take(firstSeq, lastSeq),
      onAck: () => this.checkWaiters(),
      onEventsWish: () => this.noteEventsWish(),
      onClose: (link) => {
        this.links.delete(link);
        this.lastReplicaMs = Date.now();
        this.noteEventsWish();
      },
    };
  }

  /** At start, once storage is open and the server listens: the ids, the role, the timers. */
  start(): void {
    const stored = loadIds(this.host.config.dir);
    const primary = this.host.config.replicaof;
    if (primary !== undefined) {
      this.role = 'replica';
      this.ids = { ...(stored ?? { ...freshIds(), replid: UNKNOWN_REPLID }), role: 'replica' };
    } else {
      this.role = 'master';
      // a master keeps its history across restarts (it ships only durable batches, so no replica
      // is ahead of it); one that was a replica, or was mid full copy, starts a new one
      this.ids = stored === undefined ? freshIds() : stored.role === 'master' && stored.replid !== UNKNOWN_REPLID ? stored : this.shifted(stored);
    }
    this.saveIds();
    this.watchEngine();
    this.cron = setInterval(() => this.onCron(), CRON_MS);
    this.cron.unref();
    if (primary !== undefined) this.startFollower(primary.host, primary.port);
  }

  /** Shutdown: replicas and the primary link closed, WAITs answered. */
  stop(): void {
    if (this.cron !== undefined) clearInterval(this.cron);
    this.follower?.stop();
    this.closeLinks('shutting down');
    for (const waiter of [...this.waiters]) this.finishWaiter(waiter, this.ackedCount(waiter.seq));
    this.stopDurable?.();
  }

  isReplica(): boolean {
    return this.role === 'replica';
  }

  /** dispatch's gate: LOADING while a full copy is installed (for commands without the loading flag), READONLY for a replica's writes. */
  refusal(writes: boolean, allowedWhileLoading: boolean): string | undefined {
    if (this.host.loading && !allowedWhileLoading) return REPLICATION_ERRORS.loading;
    if (writes && this.role === 'replica') return REPLICATION_ERRORS.readOnly;
    return undefined;
  }

  // ---- role changes (REPLICAOF, and the cluster code) ---------------------------------------

  /** Follows host:port from now on; 'already' when it already does (Redis's +OK Already ...). */
  replicaOf(host: string, port: number): 'ok' | 'already' {
    if (this.host.loading) throw new Error('a full copy is being installed');
    const follower = this.follower;
    if (this.role === 'replica' && follower !== undefined && follower.primaryHost === host && follower.primaryPort === port) return 'already';
    this.closeLinks('the server became a replica'); // as Redis: its replicas resync through the new chain
    follower?.stop();
    this.follower = undefined;
    this.host.config.replicaof = { host, port };
    if (this.role === 'master') {
      this.host.keyspace.setReadOnly(true);
      this.role = 'replica';
      this.ids = { ...this.ids, role: 'replica' };
      this.saveIds();
      for (const waiter of [...this.waiters]) this.finishWaiter(waiter, new Error(REPLICATION_ERRORS.unblockedRoleChange));
      this.hooks?.roleChanged('replica');
    }
    this.host.logger.info({ primary: `${host}:${port}` }, `REPLICAOF ${host}:${port} enabled`);
    this.startFollower(host, port);
    return 'ok';
  }

  /** REPLICAOF NO ONE: a new replid (the old one and the durable seq kept for siblings); writes accepted. */
  promote(): void {
    if (this.host.loading) throw new Error('a full copy is being installed');
    if (this.role === 'master') return;
    this.follower?.stop();
    this.follower = undefined;
    this.closeLinks('the server was promoted');
    this.ids = this.shifted(this.ids);
    this.saveIds();
    this.host.config.replicaof = undefined;
    this.host.keyspace.setReadOnly(false);
    this.role = 'master';
    this.host.logger.info({ replid: this.ids.replid, replid2: this.ids.replid2, secondSeq: this.ids.secondSeq }, 'MASTER MODE enabled');
    this.hooks?.roleChanged('master');
  }

  status(): ReplicationStatus {
    const { engine } = this.host;
    const follower = this.follower;
    return {
      role: this.role,
      replid: this.ids.replid,
      sequence: engine.sequence(),
      durableSequence: engine.durableSequence(),
      primary: follower === undefined ? undefined : { host: follower.primaryHost, port: follower.primaryPort, linkUp: follower.linkUp, state: follower.state },
      replicas: [...this.links].map((link) => ({ address: link.address, port: link.listeningPort, state: link.state, ackSeq: link.ackSeq })),
    };
  }

  // ---- primary side ----------------------------------------------------------------------

  /** Whether PSYNC may be served now: a replica serves sub-replicas only while its own link is up. */
  canServePsync(): boolean {
    return this.role === 'master' || (this.follower?.linkUp ?? false);
  }

  /** PSYNC, after the connection was handed over: decides, replies, streams. Returns the socket's sink. */
  accept(socket: Socket, reader: RespReader, request: PsyncRequest): (chunk: Buffer) => boolean {
    const { engine } = this.host;
    const { ids } = this;
    let cursor: WalCursor | undefined;
    const sameHistory =
      (request.replid === ids.replid && ids.replid !== UNKNOWN_REPLID && request.seq <= engine.durableSequence()) ||
      (request.replid === ids.replid2 && ids.replid2 !== NO_REPLID && request.seq <= ids.secondSeq);
    if (sameHistory && request.seq >= 0) {
      try {
        cursor = engine.openWalCursor(request.seq + 1);
      } catch (error) {
        if (!(error instanceof WalGoneError)) throw error;
      }
    }
    let checkpoint: EngineCheckpoint | undefined;
    let replyLine: string;
    if (cursor !== undefined) {
      this.stats.syncPartialOk++;
      replyLine = `+CONTINUE ${ids.replid}`;
    } else {
      if (request.replid !== UNKNOWN_REPLID) this.stats.syncPartialErr++;
      this.stats.syncFull++;
      checkpoint = engine.checkpoint();
      cursor = engine.openWalCursor(checkpoint.lastSequence + 1); // pinned with the checkpoint
      replyLine = `+FULLRESYNC ${ids.replid} ${checkpoint.lastSequence}`;
    }
    this.host.logger.info(
      { replica: `${request.address}:${request.listeningPort}`, asked: `${request.replid} ${request.seq}`, reply: replyLine, tables: checkpoint?.tables.length },
      checkpoint === undefined ? 'partial resynchronization accepted' : 'full resynchronization: sending a checkpoint',
    );
    const link = new ReplicaLink(this.linkHost, socket, reader, { replyLine, cursor, checkpoint, address: request.address, listeningPort: request.listeningPort });
    this.links.add(link);
    this.lastReplicaMs = Date.now();
    this.applyRetention();
    link.pump();
    return link.onData;
  }

  /** How many replicas acked seq (it is durable there). */
  ackedCount(seq: number): number {
    let count = 0;
    for (const link of this.links) if (link.ackSeq >= seq) count++;
    return count;
  }

  /**
   * WAIT: done(count) once count replicas acked seq, or when timeoutMs passed (0: no timeout) with
   * the count then; done(error) if the server stops being a master first. Returns a cancel function.
   * At most limits.replicaWaitsMax wait at once (a WAIT past it is answered as on a timeout, and a
   * client that disconnects leaves its WAIT until its timeout or its acks).
   */
  wait(seq: number, count: number, timeoutMs: number, done: (result: number | Error) => void): () => void {
    const waiter: Waiter = { seq, count, timer: undefined, done };
    if (this.waiters.size >= limits.replicaWaitsMax) {
      setImmediate(() => done(this.ackedCount(seq))); // bounded: answered as on a timeout
      return () => undefined;
    }
    if (timeoutMs > 0) waiter.timer = setTimeout(() => this.finishWaiter(waiter, this.ackedCount(seq)), timeoutMs);
    this.waiters.add(waiter);
    for (const link of this.links) link.requestAck();
    this.host.engine.requestSync();
    return () => {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
    };
  }

  // ---- introspection -------------------------------------------------------------------------

  /** INFO replication (replication-info.ts). */
  infoFields(): InfoFields {
    return infoFields(this.infoSource());
  }

  /** ROLE's reply (replication-info.ts). */
  roleReply(): RoleReply {
    return roleReply(this.infoSource());
  }

  private infoSource(): InfoSource {
    const { engine, config } = this.host;
    const backlogActive = this.links.size > 0 || this.backlogKept();
    return { role: this.role, ids: this.ids, stats: this.stats, follower: this.follower, links: [...this.links], engine, config, backlogActive };
  }

  // ---- internals -----------------------------------------------------------------------------

  private startFollower(host: string, port: number): void {
    this.follower = new Follower(this.followerHost(), host, port);
    this.follower.start();
  }

  private followerHost(): FollowerHost {
    const { config, logger } = this.host;
    return {
      logger,
      dir: config.dir,
      engine: () => this.host.engine,
      keyspace: () => this.host.keyspace,
      settings: () => ({
        auth: config.masterauth === '' ? undefined : config.masteruser === '' ? [config.masterauth] : [config.masteruser, config.masterauth],
        listeningPort: config.replicaAnnouncePort > 0 ? config.replicaAnnouncePort : (this.host.listeningPorts[0] ?? config.port),
        announceIp: config.replicaAnnounceIp,
        timeoutMs: config.replTimeout * 1000,
      }),
      replid: () => this.ids.replid,
      continued: (replid) => {
        if (replid === this.ids.replid) return;
        // the primary was promoted (or is a sibling that was): its new history continues ours
        this.ids = { replid, replid2: this.ids.replid, secondSeq: this.host.engine.sequence(), role: 'replica' };
        this.saveIds();
      },
      installFullSync: (replid, lastSequence, tables) => this.installFullSync(replid, lastSequence, tables),
      noteSync: (kind) => {
        if (kind === 'full') this.stats.replicaFullSyncs++;
        else this.stats.replicaPartialSyncs++;
      },
      wantsEvents: () => config.notifyKeyspaceEvents !== 0 || this.linkWantsEvents(),
      appliedEvents: (firstSeq, encoded, events, durable) => {
        this.hooks?.keyspaceEvents?.(events, durable);
        if (this.linkWantsEvents()) this.keyspaceEvents.forward(firstSeq, encoded);
      },
    };
  }

  /** A full copy arrived (follower.ts): swap the data for it, as one atomic switch on disk. */
  private async installFullSync(replid: string, lastSequence: number, tables: StagedTable[]): Promise<void> {
    const hooks = this.hooks;
    if (hooks === undefined) throw new Error('no storage hooks to install a full copy with');
    this.ids = { ...this.ids, replid: UNKNOWN_REPLID };
    this.saveIds(); // from here until the copy is in, the data's history is unknown
    this.closeLinks('full resynchronization with the primary');
    this.host.loading = true;
    const startedAt = Date.now();
    let previous: Keyspace;
    try {
      const { engine, keyspace } = this.host;
      keyspace.onDbFlushed?.('all'); // WATCH: every key may have changed
      previous = keyspace;
      this.stopDurable?.();
      await engine.close().catch((error: unknown) => this.host.logger.warn({ error: String(error) }, 'the old engine did not close cleanly; its data is being replaced'));
      installCheckpoint(new RealFileSystem(), this.host.config.dir, lastSequence, tables);
      const opened = await hooks.open(this.role === 'replica');
      this.host.engine = opened.engine;
      this.host.keyspace = opened.keyspace;
      this.watchEngine();
      hooks.replaced(previous);
    } catch (error) {
      hooks.fatal('could not install the full copy from the primary', error);
      throw error;
    } finally {
      this.host.loading = false;
    }
    this.ids = { ...this.ids, replid };
    this.saveIds();
    this.host.logger.info({ lastSequence, tables: tables.length, ms: Date.now() - startedAt }, 'full copy installed; streaming the WAL');
  }

  /** Promotion: a new history continuing the old one up to what is durable. */
  private shifted(old: ReplicationIds): ReplicationIds {
    const known = old.replid !== UNKNOWN_REPLID;
    return { replid: newReplid(), replid2: known ? old.replid : NO_REPLID, secondSeq: known ? this.host.engine.durableSequence() : -1, role: 'master' };
  }

  private saveIds(): void {
    try {
      saveIds(this.host.config.dir, this.ids);
    } catch (error) {
      this.host.logger.error({ error: String(error) }, 'could not store the replication ids');
    }
  }

  private watchEngine(): void {
    this.stopDurable?.();
    this.stopDurable = this.host.engine.onDurable(() => this.pumpSoon());
    this.applyRetention();
  }

  private pumpSoon(): void {
    if (this.pumpScheduled || this.links.size === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      let sentSeq = Infinity;
      for (const link of this.links) {
        link.pump();
        sentSeq = Math.min(sentSeq, link.sentSeq);
      }
      if (sentSeq !== Infinity) this.keyspaceEvents.dropThrough(sentSeq); // kept briefly: a retained log costs every write its GC work
    });
  }

  private closeLinks(reason: string): void {
    for (const link of [...this.links]) link.close(reason);
  }

  private checkWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const acked = this.ackedCount(waiter.seq);
      if (acked >= waiter.count) this.finishWaiter(waiter, acked);
    }
  }

  private finishWaiter(waiter: Waiter, result: number | Error): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.done(result);
  }

  private backlogKept(): boolean {
    return this.lastReplicaMs > 0 && Date.now() - this.lastReplicaMs < this.host.config.replBacklogTtl * 1000;
  }

  private linkWantsEvents(): boolean {
    for (const link of this.links) if (link.wantsEvents) return true;
    return false;
  }

  /** A link's wish changed, or a link went: events are recorded while some replica wants them. */
  private noteEventsWish(): void {
    const wanted = this.linkWantsEvents();
    this.keyspaceEvents.recording = wanted && this.role === 'master';
    if (!wanted) this.keyspaceEvents.clear();
  }

  private applyRetention(): void {
    const keep = this.links.size > 0 || this.backlogKept();
    this.noteEventsWish();
    this.host.engine.setWalRetention(keep ? this.host.config.replBacklogSize : 0, keep ? limits.replicaTailBytes : 0);
  }

  private onCron(): void {
    const { engine, config } = this.host;
    if (this.host.loading) return;
    if (this.links.size > 0 && engine.durableSequence() < engine.sequence()) engine.requestSync();
    if (++this.ticks % SLOW_CRON_EVERY !== 0) return;
    const nowMs = Date.now();
    for (const link of [...this.links]) {
      if (link.state === 'online' && nowMs - link.lastInputMs > config.replTimeout * 1000) {
        link.close('timeout: no ACK for repl-timeout');
        continue;
      }
      if (nowMs - link.lastSentMs >= config.replPingReplicaPeriod * 1000) link.ping();
    }
    if (this.links.size > 0) this.lastReplicaMs = nowMs;
    this.applyRetention();
  }
}
