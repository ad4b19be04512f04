// src/commands/cluster.ts: CLUSTER (Redis 7.0 src/cluster.c clusterCommand, texts word for word),
// READONLY, READWRITE and ASKING. The topology changes only by pushes (CLUSTERX, clusterx.ts) or
// by what redis-cli --cluster sends every node: SETSLOT, ADDSLOTS, DELSLOTS (cluster-state.ts).
// Invariants:
// - Without --cluster-enabled yes every one of these answers "This instance has cluster support
//   disabled", as Redis.
// - A change is on disk (the nodes file) before its +OK leaves (ClusterState saves first).
// - CLUSTER MEET, REPLICATE and FAILOVER are refused: tskv nodes have no bus; a node learns the
//   topology by pushes.
import { REPLY } from '../../protocol/index.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import { infoText, nodesDescription, parseLocalAddress, shardsView, slotsView, type LocalAddress } from '../cluster/cluster-view.js';
import { NO_OWNER, type ClusterNode } from '../cluster/topology.js';
import { afterTopologyChange, clusterFlagsOf } from '../dispatch/cluster-gate.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { CommandError, ERRORS, unknownSubcommand, wrongArity } from '../dispatch/errors.js';
import { SLOT_COUNT, keySlot } from '../keyspace/slot.js';
import { isWord, string2ll } from './arguments.js';
import { writeHelp } from './client.js';

export const CLUSTER_ERRORS = {
  disabled: 'ERR This instance has cluster support disabled',
  badSlot: 'ERR Invalid or out of range slot',
  invalidSlot: 'ERR Invalid slot',
  invalidSlotOrCount: 'ERR Invalid slot or number of keys',
  setslotSyntax: 'ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP',
  replicaSetslot: 'ERR Please use SETSLOT only with masters.',
  notMaster: 'ERR Target node is not a master',
  noBus: 'ERR tskv nodes have no cluster bus: push the topology with CLUSTERX SETNODES to every node',
  noReplication: 'ERR tskv cluster nodes do not replicate or fail over by CLUSTER commands',
  flushSlots: 'ERR DB must be empty to perform CLUSTER FLUSHSLOTS.',
} as const;

/** The cluster state, or the "disabled" error. */
export function clusterOf(ctx: CommandContext): ClusterState {
  const cluster = ctx.server.cluster;
  if (cluster === undefined) throw new CommandError(CLUSTER_ERRORS.disabled);
  return cluster;
}

export function localAddressOf(ctx: CommandContext): LocalAddress {
  return parseLocalAddress(ctx.client.localAddress, ctx.server.config.port);
}

/** getSlotOrReply. */
export function parseSlot(arg: Buffer): number {
  const slot = string2ll(arg);
  if (slot === undefined || slot < 0n || slot >= BigInt(SLOT_COUNT)) throw new CommandError(CLUSTER_ERRORS.badSlot);
  return Number(slot);
}

function parseLongLong(arg: Buffer): bigint {
  const value = string2ll(arg);
  if (value === undefined) throw new CommandError(ERRORS.notInteger);
  return value;
}

/**
 * Runs a state change, turning a failed save into Redis's SAVECONFIG error text; then redirects
 * blocked clients and drops shard channels of the slots this node no longer serves.
 */
function persist(ctx: CommandContext, change: () => void): void {
  try {
    change();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    ctx.server.logger.error({ error: reason }, 'could not save the cluster state');
    throw new CommandError(`ERR error saving the cluster node config: ${reason}`);
  }
  afterTopologyChange(ctx.server);
}

function nodeOrError(cluster: ClusterState, arg: Buffer, message: string): ClusterNode {
  const node = cluster.topology.node(arg.toString('latin1').toLowerCase());
  if (node === undefined) throw new CommandError(`${message} ${arg.toString('latin1')}`);
  return node;
}

function writeNode(ctx: CommandContext, node: ClusterNode): void {
  ctx.out.arrayHeader(4);
  ctx.out.bulk(node.host);
  ctx.out.integer(node.port);
  ctx.out.bulk(node.id);
  ctx.out.mapHeader(0);
}

function slots(ctx: CommandContext): void {
  const views = slotsView(clusterOf(ctx));
  ctx.out.arrayHeader(views.length);
  for (const view of views) {
    ctx.out.arrayHeader(2 + view.nodes.length);
    ctx.out.integer(view.first);
    ctx.out.integer(view.last);
    for (const node of view.nodes) writeNode(ctx, node);
  }
}

function shards(ctx: CommandContext): void {
  const views = shardsView(clusterOf(ctx), localAddressOf(ctx));
  const { out } = ctx;
  out.arrayHeader(views.length);
  for (const view of views) {
    out.mapHeader(2);
    out.bulk('slots');
    out.arrayHeader(view.ranges.length * 2);
    for (const [first, last] of view.ranges) {
      out.integer(first);
      out.integer(last);
    }
    out.bulk('nodes');
    out.arrayHeader(view.nodes.length);
    for (const node of view.nodes) {
      out.mapHeader(7);
      out.bulk('id');
      out.bulk(node.id);
      out.bulk('port');
      out.integer(node.port);
      out.bulk('ip');
      out.bulk(node.host);
      out.bulk('endpoint');
      out.bulk(node.host);
      out.bulk('role');
      out.bulk(node.role === 'master' ? 'master' : 'replica');
      out.bulk('replication-offset');
      out.integer(0);
      out.bulk('health');
      out.bulk('online');
    }
  }
}

function countKeysInSlot(ctx: CommandContext, args: Buffer[]): void {
  clusterOf(ctx);
  const slot = parseLongLong(args[2] as Buffer);
  if (slot < 0n || slot >= BigInt(SLOT_COUNT)) throw new CommandError(CLUSTER_ERRORS.invalidSlot);
  ctx.out.integer(ctx.server.keyspace.countSlotKeys(0, Number(slot)));
}

function getKeysInSlot(ctx: CommandContext, args: Buffer[]): void {
  clusterOf(ctx);
  const slot = parseLongLong(args[2] as Buffer);
  const count = parseLongLong(args[3] as Buffer);
  if (slot < 0n || slot >= BigInt(SLOT_COUNT) || count < 0n) throw new CommandError(CLUSTER_ERRORS.invalidSlotOrCount);
  ctx.out.bulkArray(ctx.server.keyspace.slotKeys(0, Number(slot), Number(count > 1_000_000_000n ? 1_000_000_000n : count)));
}

function setSlot(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  if (cluster.myself()?.role === 'slave') throw new CommandError(CLUSTER_ERRORS.replicaSetslot);
  const slot = parseSlot(args[2] as Buffer);
  const action = args[3] as Buffer;
  if (isWord(action, 'migrating') && args.length === 5) {
    if (!cluster.ownsSlot(slot)) throw new CommandError(`ERR I'm not the owner of hash slot ${slot}`);
    const target = nodeOrError(cluster, args[4] as Buffer, "ERR I don't know about node");
    if (target.role !== 'master') throw new CommandError(CLUSTER_ERRORS.notMaster);
    persist(ctx, () => cluster.setMigrating(slot, target.id));
  } else if (isWord(action, 'importing') && args.length === 5) {
    if (cluster.ownsSlot(slot)) throw new CommandError(`ERR I'm already the owner of hash slot ${slot}`);
    const source = nodeOrError(cluster, args[4] as Buffer, "ERR I don't know about node");
    if (source.role !== 'master') throw new CommandError(CLUSTER_ERRORS.notMaster);
    persist(ctx, () => cluster.setImporting(slot, source.id));
  } else if (isWord(action, 'stable') && args.length === 4) {
    persist(ctx, () => cluster.setStable(slot));
  } else if (isWord(action, 'node') && args.length === 5) {
    const node = nodeOrError(cluster, args[4] as Buffer, 'ERR Unknown node');
    if (node.role !== 'master') throw new CommandError(CLUSTER_ERRORS.notMaster);
    if (cluster.ownsSlot(slot) && node.id !== cluster.myId && ctx.server.keyspace.countSlotKeys(0, slot, 1) !== 0) {
      throw new CommandError(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
    }
    persist(ctx, () => cluster.assignSlot(slot, node.id));
  } else {
    throw new CommandError(CLUSTER_ERRORS.setslotSyntax);
  }
  ctx.out.raw(REPLY.ok);
}

/** checkSlotAssignmentsOrReply over the slots named, then the change. */
function changeSlots(ctx: CommandContext, slotList: number[], add: boolean): void {
  const cluster = clusterOf(ctx);
  const seen = new Uint8Array(SLOT_COUNT);
  for (const slot of slotList) {
    const owned = cluster.topology.owners[slot] !== NO_OWNER;
    if (!add && !owned) throw new CommandError(`ERR Slot ${slot} is already unassigned`);
    if (add && owned) throw new CommandError(`ERR Slot ${slot} is already busy`);
    if (seen[slot] === 1) throw new CommandError(`ERR Slot ${slot} specified multiple times`);
    seen[slot] = 1;
  }
  persist(ctx, () => cluster.changeOwnSlots(slotList, add, localAddressOf(ctx)));
  ctx.out.raw(REPLY.ok);
}

function addOrDelSlots(add: boolean) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    clusterOf(ctx);
    const slotList = args.slice(2).map(parseSlot);
    changeSlots(ctx, slotList, add);
  };
}

function addOrDelSlotsRange(add: boolean) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    clusterOf(ctx);
    if (args.length % 2 === 1) throw new CommandError(wrongArity(`cluster|${add ? 'addslotsrange' : 'delslotsrange'}`));
    const slotList: number[] = [];
    for (let index = 2; index < args.length; index += 2) {
      const first = parseSlot(args[index] as Buffer);
      const last = parseSlot(args[index + 1] as Buffer);
      if (first > last) throw new CommandError(`ERR start slot number ${first} is greater than end slot number ${last}`);
      for (let slot = first; slot <= last; slot++) slotList.push(slot);
    }
    changeSlots(ctx, slotList, add);
  };
}

function flushSlots(ctx: CommandContext): void {
  const cluster = clusterOf(ctx);
  if (ctx.server.keyspace.dbSize(0) !== 0) throw new CommandError(CLUSTER_ERRORS.flushSlots);
  const index = cluster.topology.indexOf(cluster.myId);
  const mine = index < 0 ? [] : cluster.topology.rangesOf(index).flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, at) => first + at));
  if (mine.length > 0) persist(ctx, () => cluster.changeOwnSlots(mine, false, localAddressOf(ctx)));
  ctx.out.raw(REPLY.ok);
}

function replicas(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  const node = nodeOrError(cluster, args[2] as Buffer, 'ERR Unknown node');
  if (node.role !== 'master') throw new CommandError('ERR The specified node is not a master');
  const lines = nodesDescription(cluster, localAddressOf(ctx), Date.now()).split('\n');
  const ids = new Set(cluster.topology.replicasOf(node.id).map((replica) => replica.id));
  const mine = lines.filter((line) => ids.has(line.slice(0, 40)));
  ctx.out.arrayHeader(mine.length);
  for (const line of mine) ctx.out.bulk(line);
}

const HELP_LINES = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ADDSLOTS <slot> [<slot> ...]', '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]', '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH', '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>', '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>', '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]', '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]', '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]', '    Promote current replica node to being a master.',
  'FORGET <node-id>', '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>', '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS', '    Delete current node own slots information.',
  'INFO', '    Return information about the cluster.',
  'KEYSLOT <key>', '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]', '    Connect nodes into a working cluster.',
  'MYID', '    Return the node id.',
  'NODES', '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>', '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]', '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>', '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)', '    Set slot state.',
  'REPLICAS <node-id>', '    Return <node-id> replicas.',
  'SAVECONFIG', '    Force saving cluster configuration on disk.',
  'SLOTS', '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS', '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS', '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP', '    Prints this help.',
];

function forget(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  const node = nodeOrError(cluster, args[2] as Buffer, 'ERR Unknown node');
  if (node.id === cluster.myId) throw new CommandError("ERR I tried hard but I can't forget myself...");
  if (cluster.myself()?.masterId === node.id) throw new CommandError("ERR Can't forget my master!");
  persist(ctx, () => cluster.forgetNode(node.id));
  ctx.out.raw(REPLY.ok);
}

function reset(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  let hard = false;
  if (args.length === 3) {
    if (isWord(args[2], 'hard')) hard = true;
    else if (!isWord(args[2], 'soft')) throw new CommandError(ERRORS.syntax);
  }
  if (cluster.myself()?.role !== 'slave' && ctx.server.keyspace.dbSize(0) !== 0) {
    throw new CommandError("ERR CLUSTER RESET can't be called with master nodes containing keys");
  }
  persist(ctx, () => cluster.reset(hard));
  ctx.out.raw(REPLY.ok);
}

function setConfigEpoch(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  const epoch = parseLongLong(args[2] as Buffer);
  if (epoch < 0n) throw new CommandError(`ERR Invalid config epoch specified: ${epoch}`);
  if (cluster.topology.nodes.some((node) => node.id !== cluster.myId)) {
    throw new CommandError('ERR The user can assign a config epoch only when the node does not know any other node.');
  }
  if (cluster.version !== 0) throw new CommandError('ERR Node config epoch is already non-zero');
  ctx.out.raw(REPLY.ok);
}

/** A handler that first requires cluster mode. */
function enabled(handler: (ctx: CommandContext, args: Buffer[]) => void) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    clusterOf(ctx);
    handler(ctx, args);
  };
}

const sub = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'cluster', since: '3.0.0' } as const;
const admin = ['admin', 'stale'] as const;

export const clusterCommands: CommandSpec[] = [
  {
    ...sub, name: 'cluster', arity: -2, flags: [], summary: 'A container for cluster commands', handler: (ctx, args) => {
      clusterOf(ctx);
      throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'cluster'));
    },
    subcommands: [
      { ...sub, name: 'info', arity: 2, flags: ['stale'], summary: 'Provides info about Redis Cluster node state', handler: enabled((ctx) => ctx.out.verbatim(infoText(clusterOf(ctx), localAddressOf(ctx)))) },
      { ...sub, name: 'myid', arity: 2, flags: ['stale'], summary: 'Return the node id', handler: enabled((ctx) => ctx.out.bulk(clusterOf(ctx).myId)) },
      { ...sub, name: 'nodes', arity: 2, flags: ['stale'], summary: 'Get Cluster config for the node', handler: enabled((ctx) => ctx.out.verbatim(nodesDescription(clusterOf(ctx), localAddressOf(ctx), Date.now()))) },
      { ...sub, name: 'slots', arity: 2, flags: ['stale'], summary: 'Get array of Cluster slot to node mappings', handler: slots },
      { ...sub, name: 'shards', arity: 2, flags: ['stale'], summary: 'Get array of cluster slots to node mappings', since: '7.0.0', handler: shards },
      { ...sub, name: 'keyslot', arity: 3, flags: ['stale'], summary: 'Returns the hash slot of the specified key', handler: enabled((ctx, args) => ctx.out.integer(keySlot(args[2] as Buffer))) },
      { ...sub, name: 'countkeysinslot', arity: 3, flags: ['stale'], summary: 'Return the number of local keys in the specified hash slot', handler: countKeysInSlot },
      { ...sub, name: 'getkeysinslot', arity: 4, flags: ['stale'], summary: 'Return local key names in the specified hash slot', handler: getKeysInSlot },
      { ...sub, name: 'setslot', arity: -4, flags: [...admin], summary: 'Bind a hash slot to a specific node', handler: setSlot },
      { ...sub, name: 'addslots', arity: -3, flags: [...admin], summary: 'Assign new hash slots to receiving node', handler: addOrDelSlots(true) },
      { ...sub, name: 'addslotsrange', arity: -4, flags: [...admin], summary: 'Assign new hash slots to receiving node', since: '7.0.0', handler: addOrDelSlotsRange(true) },
      { ...sub, name: 'delslots', arity: -3, flags: [...admin], summary: 'Set hash slots as unbound in receiving node', handler: addOrDelSlots(false) },
      { ...sub, name: 'delslotsrange', arity: -4, flags: [...admin], summary: 'Set hash slots as unbound in receiving node', since: '7.0.0', handler: addOrDelSlotsRange(false) },
      { ...sub, name: 'flushslots', arity: 2, flags: [...admin], summary: "Delete a node's own slots information", handler: flushSlots },
      { ...sub, name: 'bumpepoch', arity: 2, flags: [...admin], summary: 'Advance the cluster config epoch', handler: enabled((ctx) => ctx.out.simple(`STILL ${clusterOf(ctx).version}`)) },
      { ...sub, name: 'set-config-epoch', arity: 3, flags: [...admin], summary: 'Set the configuration epoch in a new node', handler: setConfigEpoch },
      {
        ...sub, name: 'saveconfig', arity: 2, flags: [...admin], summary: 'Forces the node to save cluster state on disk', handler: enabled((ctx) => {
          persist(ctx, () => clusterOf(ctx).saveNow());
          ctx.out.raw(REPLY.ok);
        }),
      },
      { ...sub, name: 'forget', arity: 3, flags: [...admin], summary: 'Remove a node from the nodes table', handler: forget },
      { ...sub, name: 'reset', arity: -2, flags: ['admin', 'noscript', 'stale'], summary: 'Reset a Redis Cluster node', handler: reset },
      { ...sub, name: 'replicas', arity: 3, flags: [...admin], summary: 'List replica nodes of the specified master node', since: '5.0.0', handler: replicas },
      { ...sub, name: 'slaves', arity: 3, flags: [...admin], summary: 'List replica nodes of the specified master node', handler: replicas },
      {
        ...sub, name: 'count-failure-reports', arity: 3, flags: [...admin], summary: 'Return the number of failure reports active for a given node', handler: (ctx, args) => {
          nodeOrError(clusterOf(ctx), args[2] as Buffer, 'ERR Unknown node');
          ctx.out.integer(0);
        },
      },
      { ...sub, name: 'links', arity: 2, flags: ['stale'], summary: 'Returns a list of all TCP links to and from peer nodes in cluster', since: '7.0.0', handler: enabled((ctx) => ctx.out.arrayHeader(0)) },
      { ...sub, name: 'meet', arity: -4, flags: [...admin], summary: 'Force a node cluster to handshake with another node', handler: enabled(() => { throw new CommandError(CLUSTER_ERRORS.noBus); }) },
      { ...sub, name: 'replicate', arity: 3, flags: [...admin], summary: 'Reconfigure a node as a replica of the specified master node', handler: enabled(() => { throw new CommandError(CLUSTER_ERRORS.noReplication); }) },
      { ...sub, name: 'failover', arity: -2, flags: [...admin], summary: 'Forces a replica to perform a manual failover of its master.', handler: enabled(() => { throw new CommandError(CLUSTER_ERRORS.noReplication); }) },
      { ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Show helpful text about the different subcommands', since: '5.0.0', handler: enabled((ctx) => writeHelp(ctx, HELP_LINES)) },
    ],
  },
  {
    ...sub, name: 'readonly', arity: 1, flags: ['loading', 'stale', 'fast'], summary: 'Enables read queries for a connection to a cluster replica node',
    handler: enabled((ctx) => {
      clusterFlagsOf(ctx.client).readonly = true;
      ctx.out.raw(REPLY.ok);
    }),
  },
  {
    ...sub, name: 'readwrite', arity: 1, flags: ['loading', 'stale', 'fast'], summary: 'Disables read queries for a connection to a cluster replica node',
    handler: enabled((ctx) => {
      clusterFlagsOf(ctx.client).readonly = false;
      ctx.out.raw(REPLY.ok);
    }),
  },
  {
    ...sub, name: 'asking', arity: 1, flags: ['fast'], summary: 'Sent by cluster clients after an -ASK redirect',
    handler: enabled((ctx) => {
      clusterFlagsOf(ctx.client).asking = true;
      ctx.out.raw(REPLY.ok);
    }),
  },
];

