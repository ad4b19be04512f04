// src/cluster/cluster-state.ts: one node's view of the cluster (--cluster-enabled yes): its id,
// the topology (topology.ts) and the slots a migration left open, persisted in the nodes file
// (nodes-file.ts) before any change is acknowledged. There is no gossip: the topology changes only
// by CLUSTERX SETNODES / SETSLOT pushes, CLUSTER SETSLOT / ADDSLOTS / DELSLOTS (redis-cli
// --cluster sends these to every node), or a topology file at start.
// Invariants:
// - myId is 40 lower-case hex and persisted from the first start on; a node finds itself in a
//   topology by id, or, while it has never had one (version 0) or on a forced push, by address:
//   the one node listed with its port and one of its bind addresses (or cluster-announce-ip).
// - Every change is saved (fsync + rename + dir fsync) before it takes effect in memory; if the
//   save throws, nothing changed.
// - A local change (SETSLOT NODE, ADDSLOTS, DELSLOTS) makes version + 1; a push sets the version it
//   carries, which must be newer (an equal version with the same layout is a no-op).
// - migrating holds only slots this node owns, importing only slots it does not own.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FileSystem } from '../../storage/index.js';
import { SLOT_COUNT } from '../keyspace/slot.js';
import { loadNodesFile, saveNodesFile, type NodesFileState } from './nodes-file.js';
import { NO_OWNER, TOPOLOGY_ERRORS, Topology, TopologyError, parseTopology, type ClusterNode } from './topology.js';

export interface ClusterOptions {
  fs: FileSystem;
  /** The nodes file (absolute, or relative to the working directory). */
  file: string;
  port: number;
  binds: readonly string[];
  announceIp: string;
  /** Read at each use: CONFIG SET cluster-require-full-coverage takes effect at once. */
  requireFullCoverage: () => boolean;
}

export class ClusterState {
  /**
   * Called after every change of the state (topology, own id): main.ts makes this node follow the
   * master its topology entry names (src/replication/), or stop following when it is a master.
   */
  onChange: (() => void) | undefined = undefined;

  private constructor(
    private readonly options: ClusterOptions,
    private state: NodesFileState & { myId: string },
  ) {}

  /** Reads the nodes file (or starts fresh with a new id, saved at once). */
  static open(options: ClusterOptions): ClusterState {
    const loaded = loadNodesFile(options.fs, options.file);
    const state = loaded ?? { myId: undefined, topology: Topology.empty(), migrating: new Map(), importing: new Map() };
    const cluster = new ClusterState(options, { ...state, myId: state.myId ?? randomBytes(20).toString('hex') });
    if (loaded === undefined || loaded.myId === undefined) cluster.save(cluster.state);
    return cluster;
  }

  get myId(): string {
    return this.state.myId;
  }

  get topology(): Topology {
    return this.state.topology;
  }

  get version(): number {
    return this.state.topology.version;
  }

  get file(): string {
    return this.options.file;
  }


  migratingTo(slot: number): string | undefined {
    return this.state.migrating.get(slot);
  }

  importingFrom(slot: number): string | undefined {
    return this.state.importing.get(slot);
  }

  openSlots(): { migrating: ReadonlyMap<number, string>; importing: ReadonlyMap<number, string> } {
    return { migrating: this.state.migrating, importing: this.state.importing };
  }

  myself(): ClusterNode | undefined {
    return this.state.topology.node(this.state.myId);
  }

  /** The node serving slot, or undefined when no node does. */
  ownerOf(slot: number): ClusterNode | undefined {
    return this.state.topology.ownerOf(slot);
  }

  ownsSlot(slot: number): boolean {
    return this.state.topology.ownerOf(slot)?.id === this.state.myId;
  }

  /** cluster_state: ok unless full coverage is required and some slot has no owner (Redis's rule). */
  isOk(): boolean {
    return !this.options.requireFullCoverage() || this.state.topology.assignedSlotCount() === SLOT_COUNT;
  }

  /**
   * CLUSTERX SETNODES: replaces the topology when version is newer (or force); an equal version
   * with the same layout is accepted as a no-op. Throws TopologyError with Kvrocks's texts.
   */
  setNodes(text: string, version: number, force: boolean): void {
    if (!Number.isSafeInteger(version) || version < 0) throw new TopologyError(TOPOLOGY_ERRORS.version);
    const topology = parseTopology(text, version);
    const current = this.state.topology;
    if (!force && version < current.version) throw new TopologyError(TOPOLOGY_ERRORS.version);
    if (!force && version === current.version) {
      if (current.sameLayout(topology)) return;
      throw new TopologyError(TOPOLOGY_ERRORS.version);
    }
    this.install(topology, force || current.version === 0);
  }

  /** A topology file's content at start: applied when newer than what the node has. */
  applyStartTopology(topology: Topology): boolean {
    if (topology.version <= this.state.topology.version) return false;
    this.install(topology, this.state.topology.version === 0);
    return true;
  }

  /** CLUSTERX SETNODEID. */
  setMyId(id: string): void {
    this.commit({ ...this.state, myId: id.toLowerCase() });
  }

  /** Moves slot to node id (SETSLOT NODE, CLUSTERX SETSLOT): version + 1, or the version given. */
  assignSlot(slot: number, id: string, version = this.version + 1): void {
    const topology = this.state.topology;
    const index = topology.indexOf(id);
    const owners = Int16Array.from(topology.owners);
    owners[slot] = index;
    const migrating = new Map(this.state.migrating);
    const importing = new Map(this.state.importing);
    if (id === this.state.myId) importing.delete(slot);
    else migrating.delete(slot);
    this.commit({ ...this.state, topology: topology.withOwners(version, owners), migrating, importing });
  }

  /** ADDSLOTS / DELSLOTS: slots become this node's (adding this node if the topology lacks it) or nobody's. */
  changeOwnSlots(slots: readonly number[], add: boolean, localAddress: { host: string; port: number }): void {
    let topology = this.state.topology;
    let index = topology.indexOf(this.state.myId);
    let nodes = topology.nodes;
    if (add && index < 0) {
      nodes = [...nodes, { id: this.state.myId, host: localAddress.host, port: localAddress.port, role: 'master', masterId: undefined }];
      index = nodes.length - 1;
    }
    const owners = Int16Array.from(topology.owners);
    const importing = new Map(this.state.importing);
    for (const slot of slots) {
      owners[slot] = add ? index : NO_OWNER;
      importing.delete(slot);
    }
    topology = topology.withOwners(topology.version + 1, owners, nodes);
    this.commit({ ...this.state, topology, importing });
  }

  setMigrating(slot: number, id: string): void {
    const migrating = new Map(this.state.migrating).set(slot, id);
    this.commit({ ...this.state, migrating });
  }

  setImporting(slot: number, id: string): void {
    const importing = new Map(this.state.importing).set(slot, id);
    this.commit({ ...this.state, importing });
  }

  /** SETSLOT STABLE: forgets a migration of slot. */
  setStable(slot: number): void {
    if (!this.state.migrating.has(slot) && !this.state.importing.has(slot)) return;
    const migrating = new Map(this.state.migrating);
    const importing = new Map(this.state.importing);
    migrating.delete(slot);
    importing.delete(slot);
    this.commit({ ...this.state, migrating, importing });
  }

  /** CLUSTER FORGET: the node (and its replicas) leave the topology; its slots have no owner. */
  forgetNode(id: string): void {
    const topology = this.state.topology;
    const gone = new Set([id, ...topology.replicasOf(id).map((node) => node.id)]);
    const nodes = topology.nodes.filter((node) => !gone.has(node.id));
    const owners = new Int16Array(SLOT_COUNT).fill(NO_OWNER);
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const owner = topology.ownerOf(slot);
      if (owner !== undefined && !gone.has(owner.id)) owners[slot] = nodes.indexOf(owner);
    }
    const migrating = new Map([...this.state.migrating].filter(([, target]) => !gone.has(target)));
    const importing = new Map([...this.state.importing].filter(([, source]) => !gone.has(source)));
    this.commit({ ...this.state, topology: topology.withOwners(topology.version + 1, owners, nodes), migrating, importing });
  }

  /** CLUSTER RESET: forgets every node and slot (version 0); HARD also takes a new id. */
  reset(hard: boolean): void {
    const myId = hard ? randomBytes(20).toString('hex') : this.state.myId;
    this.commit({ myId, topology: Topology.empty(), migrating: new Map(), importing: new Map() });
  }

  /** CLUSTER SAVECONFIG. */
  saveNow(): void {
    this.save(this.state);
  }

  /** Whether address (a topology entry) is this process: its port and one of its addresses. */
  private isMyAddress(node: ClusterNode): boolean {
    if (node.port !== this.options.port) return false;
    return this.options.binds.includes(node.host) || node.host === this.options.announceIp;
  }

  private install(topology: Topology, mayFindMyselfByAddress: boolean): void {
    let myId = this.state.myId;
    if (topology.node(myId) === undefined && mayFindMyselfByAddress) {
      const mine = topology.nodes.filter((node) => this.isMyAddress(node));
      if (mine.length === 1) myId = (mine[0] as ClusterNode).id;
    }
    const owns = (slot: number) => topology.ownerOf(slot)?.id === myId;
    const migrating = new Map([...this.state.migrating].filter(([slot, id]) => owns(slot) && topology.node(id) !== undefined));
    const importing = new Map([...this.state.importing].filter(([slot, id]) => !owns(slot) && topology.node(id) !== undefined));
    this.commit({ myId, topology, migrating, importing });
  }

  private commit(next: NodesFileState & { myId: string }): void {
    this.save(next);
    this.state = next;
    this.onChange?.();
  }

  private save(state: NodesFileState): void {
    this.options.fs.mkdirp(path.dirname(this.options.file));
    saveNodesFile(this.options.fs, this.options.file, state);
  }
}
