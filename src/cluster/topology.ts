// src/cluster/topology.ts: which node serves which hash slot, as pushed from outside (Kvrocks's
// CLUSTERX SETNODES model: no gossip; a controller, a script or redis-cli tells every node).
// The text form, one node a line, fields separated by single spaces (Kvrocks's, word for word):
//   <id 40 hex> <host> <port> master - <slot or first-last>...
//   <id 40 hex> <host> <port> slave|replica <master id>
// e.g. "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1 7001 master - 0-5460 16383".
// Invariants:
// - A Topology is immutable: every change (SETNODES, SETSLOT NODE, ADDSLOTS ...) makes a new one.
// - owners[slot] is the index in nodes of the master serving the slot, or NO_OWNER; only
//   masters own slots; a slot has at most one owner (parsing refuses overlaps).
// - Node ids are 40 lower-case hex characters and unique; a replica names a master listed too.
import { SLOT_COUNT } from '../keyspace/slot.js';

export const NODE_ID_CHARS = 40;
export const NO_OWNER = -1;
/** Redis's default distance from the client port to the cluster bus port (CLUSTER NODES shows it). */
export const BUS_PORT_OFFSET = 10_000;

/** Kvrocks's error texts for a refused topology (src/cluster/cluster.cc). */
export const TOPOLOGY_ERRORS = {
  nodeId: 'ERR Invalid cluster node id',
  nodesInfo: 'ERR Invalid cluster nodes info',
  port: 'ERR Invalid cluster node port',
  role: 'ERR Invalid cluster node role',
  slotRange: 'ERR Slot is out of range',
  overlap: 'ERR Slot distribution is overlapped',
  version: 'ERR Invalid cluster version',
  unknownMaster: "ERR The replica's master is not in the cluster nodes info",
  duplicate: 'ERR Duplicate cluster node id',
} as const;

export class TopologyError extends Error {
  override name = 'TopologyError';
  readonly code = 'ERR_TOPOLOGY';
}

export interface ClusterNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly role: 'master' | 'slave';
  readonly masterId: string | undefined; // a replica's master
}

export class Topology {
  private assigned = -1; // assignedSlotCount(), once computed (a Topology never changes)

  constructor(
    readonly version: number,
    readonly nodes: readonly ClusterNode[],
    readonly owners: Int16Array, // SLOT_COUNT entries: node index or NO_OWNER
  ) {}

  static empty(): Topology {
    return new Topology(0, [], new Int16Array(SLOT_COUNT).fill(NO_OWNER));
  }

  indexOf(id: string): number {
    return this.nodes.findIndex((node) => node.id === id);
  }

  node(id: string): ClusterNode | undefined {
    return this.nodes.find((node) => node.id === id);
  }

  ownerOf(slot: number): ClusterNode | undefined {
    const index = this.owners[slot] as number;
    return index === NO_OWNER ? undefined : this.nodes[index];
  }

  replicasOf(id: string): ClusterNode[] {
    return this.nodes.filter((node) => node.role === 'slave' && node.masterId === id);
  }

  assignedSlotCount(): number {
    if (this.assigned < 0) this.assigned = this.owners.reduce((count, owner) => count + (owner === NO_OWNER ? 0 : 1), 0);
    return this.assigned;
  }

  /** Masters serving at least one slot (CLUSTER INFO cluster_size). */
  size(): number {
    return new Set(this.owners.filter((owner) => owner !== NO_OWNER)).size;
  }

  /** The slot ranges a node owns, in slot order, each [first, last]. */
  rangesOf(index: number): [number, number][] {
    return slotRanges(this.owners).filter((range) => range.owner === index).map((range) => [range.first, range.last]);
  }

  /** A copy with other slot owners and version (SETSLOT NODE, ADDSLOTS, DELSLOTS). */
  withOwners(version: number, owners: Int16Array, nodes: readonly ClusterNode[] = this.nodes): Topology {
    return new Topology(version, nodes, owners);
  }

  sameLayout(other: Topology): boolean {
    return formatTopology(this) === formatTopology(other);
  }
}

/** Runs of consecutive slots with one owner (NO_OWNER runs included), in slot order. */
export function slotRanges(owners: Int16Array): { first: number; last: number; owner: number }[] {
  const ranges: { first: number; last: number; owner: number }[] = [];
  let first = 0;
  for (let slot = 1; slot <= SLOT_COUNT; slot++) {
    if (slot === SLOT_COUNT || owners[slot] !== owners[first]) {
      ranges.push({ first, last: slot - 1, owner: owners[first] as number });
      first = slot;
    }
  }
  return ranges;
}

export function isNodeId(text: string): boolean {
  return /^[0-9a-fA-F]{40}$/.test(text);
}

function parseSlotNumber(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new TopologyError(TOPOLOGY_ERRORS.slotRange);
  const slot = Number(text);
  if (slot >= SLOT_COUNT) throw new TopologyError(TOPOLOGY_ERRORS.slotRange);
  return slot;
}

/** Parses the text form (Kvrocks's ParseClusterNodes rules); throws TopologyError with its text. */
export function parseTopology(text: string, version: number): Topology {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '').trim()).filter((line) => line !== '');
  if (lines.length === 0) throw new TopologyError(TOPOLOGY_ERRORS.nodesInfo);
  const nodes: ClusterNode[] = [];
  const owners = new Int16Array(SLOT_COUNT).fill(NO_OWNER);
  for (const line of lines) {
    const fields = line.split(/ +/);
    if (fields.length < 5) throw new TopologyError(TOPOLOGY_ERRORS.nodesInfo);
    const [id, host, portText, roleText, masterText] = fields as [string, string, string, string, string];
    if (!isNodeId(id)) throw new TopologyError(TOPOLOGY_ERRORS.nodeId);
    if (nodes.some((node) => node.id === id.toLowerCase())) throw new TopologyError(TOPOLOGY_ERRORS.duplicate);
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw new TopologyError(TOPOLOGY_ERRORS.port);
    const role = roleText.toLowerCase();
    if (role !== 'master' && role !== 'slave' && role !== 'replica') throw new TopologyError(TOPOLOGY_ERRORS.role);
    const isMaster = role === 'master';
    if (isMaster ? masterText !== '-' : !isNodeId(masterText)) throw new TopologyError(TOPOLOGY_ERRORS.nodeId);
    if (!isMaster && fields.length !== 5) throw new TopologyError(TOPOLOGY_ERRORS.nodesInfo);
    const index = nodes.length;
    nodes.push({ id: id.toLowerCase(), host, port: Number(portText), role: isMaster ? 'master' : 'slave', masterId: isMaster ? undefined : masterText.toLowerCase() });
    for (const range of fields.slice(5)) {
      const parts = range.split('-');
      if (parts.length > 2) throw new TopologyError(TOPOLOGY_ERRORS.slotRange);
      const first = parseSlotNumber(parts[0] as string);
      const last = parts.length === 2 ? parseSlotNumber(parts[1] as string) : first;
      if (last < first) throw new TopologyError(TOPOLOGY_ERRORS.slotRange);
      for (let slot = first; slot <= last; slot++) {
        if (owners[slot] !== NO_OWNER) throw new TopologyError(TOPOLOGY_ERRORS.overlap);
        owners[slot] = index;
      }
    }
  }
  for (const node of nodes) {
    if (node.role === 'slave' && !nodes.some((other) => other.id === node.masterId && other.role === 'master')) {
      throw new TopologyError(TOPOLOGY_ERRORS.unknownMaster);
    }
  }
  return new Topology(version, nodes, owners);
}

/** The text form, one line per node in topology order (what parseTopology reads back). */
export function formatTopology(topology: Topology): string {
  const lines: string[] = [];
  topology.nodes.forEach((node, index) => {
    const head = `${node.id} ${node.host} ${node.port}`;
    if (node.role === 'slave') {
      lines.push(`${head} slave ${node.masterId ?? '-'}`);
      return;
    }
    const ranges = topology.rangesOf(index).map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`));
    lines.push([`${head} master -`, ...ranges].join(' '));
  });
  return lines.join('\n');
}
