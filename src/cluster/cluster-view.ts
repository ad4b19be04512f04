// src/cluster/cluster-view.ts: what CLUSTER NODES, INFO, SLOTS and SHARDS show of a ClusterState,
// in Redis 7.0's shapes (src/cluster.c clusterGenNodeDescription, clusterReplyMultiBulkSlots,
// clusterReplyShards, CLUSTER INFO) with Kvrocks's choices where Redis's have no meaning here:
// every node is "connected", the config epoch of every node is the topology version, the bus port
// is the client port + 10000 (nothing listens there: there is no bus).
// Invariants:
// - Every node holding the same topology shows the same SLOTS and SHARDS, and the same NODES
//   lines apart from its own 'myself' flag, ping times and open slots: the order is the
//   topology's, not a hash table's.
// - A node not (yet) in its topology shows itself too, first, as a master without slots at the
//   address the client reached it on (Redis's fresh node, which knows only itself).
import { BUS_PORT_OFFSET, slotRanges, type ClusterNode } from './topology.js';
import type { ClusterState } from './cluster-state.js';

/** Where this node was reached: the connection's local address (host without ::ffff:) and port. */
export interface LocalAddress {
  host: string;
  port: number;
}

/** 'ip:port' of a socket (IPv6 'a::b:port' too) as host and port, IPv4-mapped IPv6 unwrapped. */
export function parseLocalAddress(address: string, fallbackPort: number): LocalAddress {
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? address : address.slice(0, colon);
  const port = colon < 0 ? fallbackPort : Number(address.slice(colon + 1)) || fallbackPort;
  return { host: host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host, port };
}

/** The nodes to show: the topology's, and this node first when the topology lacks it. */
export function shownNodes(cluster: ClusterState, local: LocalAddress): ClusterNode[] {
  const nodes = [...cluster.topology.nodes];
  if (cluster.myself() === undefined) nodes.unshift({ id: cluster.myId, host: local.host, port: local.port, role: 'master', masterId: undefined });
  return nodes;
}

export function rangesText(ranges: readonly [number, number][]): string[] {
  return ranges.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`));
}

/** CLUSTER NODES: one line per node, each ending in '\n'. */
export function nodesDescription(cluster: ClusterState, local: LocalAddress, nowMs: number): string {
  const { topology } = cluster;
  let text = '';
  for (const node of shownNodes(cluster, local)) {
    const mine = node.id === cluster.myId;
    const flags = `${mine ? 'myself,' : ''}${node.role === 'master' ? 'master' : 'slave'}`;
    const fields = [
      node.id, `${node.host}:${node.port}@${node.port + BUS_PORT_OFFSET}`, flags, node.masterId ?? '-',
      '0', mine ? '0' : String(nowMs), String(cluster.version), 'connected',
    ];
    const index = topology.indexOf(node.id);
    if (index >= 0 && node.role === 'master') fields.push(...rangesText(topology.rangesOf(index)));
    if (mine) {
      const { migrating, importing } = cluster.openSlots();
      for (const [slot, id] of [...migrating].sort((a, b) => a[0] - b[0])) fields.push(`[${slot}->-${id}]`);
      for (const [slot, id] of [...importing].sort((a, b) => a[0] - b[0])) fields.push(`[${slot}-<-${id}]`);
    }
    text += `${fields.join(' ')}\n`;
  }
  return text;
}

/** CLUSTER INFO's text (fields and order of Redis 7.0). */
export function infoText(cluster: ClusterState, local: LocalAddress): string {
  const assigned = cluster.topology.assignedSlotCount();
  const fields: [string, string | number][] = [
    ['cluster_state', cluster.isOk() ? 'ok' : 'fail'],
    ['cluster_slots_assigned', assigned],
    ['cluster_slots_ok', assigned],
    ['cluster_slots_pfail', 0],
    ['cluster_slots_fail', 0],
    ['cluster_known_nodes', shownNodes(cluster, local).length],
    ['cluster_size', cluster.topology.size()],
    ['cluster_current_epoch', cluster.version],
    ['cluster_my_epoch', cluster.version],
    ['cluster_stats_messages_sent', 0],
    ['cluster_stats_messages_received', 0],
    ['total_cluster_links_buffer_limit_exceeded', 0],
  ];
  return fields.map(([name, value]) => `${name}:${value}\r\n`).join('');
}

export interface SlotRangeView {
  first: number;
  last: number;
  nodes: ClusterNode[]; // the master, then its replicas
}

/** CLUSTER SLOTS: the served ranges in slot order, consecutive slots of one master merged. */
export function slotsView(cluster: ClusterState): SlotRangeView[] {
  const { topology } = cluster;
  const views: SlotRangeView[] = [];
  for (const range of slotRanges(topology.owners)) {
    const owner = topology.nodes[range.owner];
    if (owner === undefined) continue;
    views.push({ first: range.first, last: range.last, nodes: [owner, ...topology.replicasOf(owner.id)] });
  }
  return views;
}

export interface ShardView {
  ranges: [number, number][];
  nodes: ClusterNode[]; // the master, then its replicas
}

/** CLUSTER SHARDS: one shard per master (slots or not), in node order. */
export function shardsView(cluster: ClusterState, local: LocalAddress): ShardView[] {
  const { topology } = cluster;
  return shownNodes(cluster, local)
    .filter((node) => node.role === 'master')
    .map((node) => {
      const index = topology.indexOf(node.id);
      return { ranges: index < 0 ? [] : topology.rangesOf(index), nodes: [node, ...topology.replicasOf(node.id)] };
    });
}

