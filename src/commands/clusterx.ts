// src/commands/clusterx.ts: CLUSTERX, the topology push commands of Kvrocks (apache/kvrocks
// src/commands/cmd_cluster.cc), apart from CLUSTER so a cluster client never changes the topology:
//   CLUSTERX SETNODES <nodes text> <version> [1|0|FORCE]  the whole topology (topology.ts's text)
//   CLUSTERX SETSLOT <slot> NODE <node id> <version>       one slot; version must be current + 1
//   CLUSTERX VERSION | MYID | SETNODEID <id>
// Invariants:
// - A push is saved in the nodes file before its +OK leaves; a refused push changes nothing.
// - Errors are Kvrocks's texts (TOPOLOGY_ERRORS).
import { REPLY } from '../../protocol/index.js';
import { TOPOLOGY_ERRORS, TopologyError, isNodeId } from '../cluster/topology.js';
import { afterTopologyChange } from '../dispatch/cluster-gate.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { CommandError, ERRORS, unknownSubcommand } from '../dispatch/errors.js';
import { isWord, string2ll } from './arguments.js';
import { writeHelp } from './client.js';
import { clusterOf, parseSlot } from './cluster.js';

function parseVersion(arg: Buffer): number {
  const version = string2ll(arg);
  if (version === undefined || version < 0n || version > BigInt(Number.MAX_SAFE_INTEGER)) throw new CommandError(TOPOLOGY_ERRORS.version);
  return Number(version);
}

/** Runs a topology change: a TopologyError is Kvrocks's reply; a failed save is reported as such. */
function change(ctx: CommandContext, apply: () => void): void {
  try {
    apply();
  } catch (error) {
    if (error instanceof TopologyError) throw new CommandError(error.message);
    const reason = error instanceof Error ? error.message : String(error);
    ctx.server.logger.error({ error: reason }, 'could not save the cluster state');
    throw new CommandError(`ERR error saving the cluster node config: ${reason}`);
  }
  afterTopologyChange(ctx.server);
  ctx.out.raw(REPLY.ok);
}

function setNodes(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  if (args.length > 5) throw new CommandError(ERRORS.syntax);
  const version = parseVersion(args[3] as Buffer);
  let force = false;
  if (args.length === 5) {
    const flag = args[4] as Buffer;
    if (isWord(flag, '1') || isWord(flag, 'force')) force = true;
    else if (!isWord(flag, '0')) throw new CommandError(ERRORS.syntax);
  }
  const text = (args[2] as Buffer).toString('utf8');
  change(ctx, () => cluster.setNodes(text, version, force));
  ctx.server.logger.info({ version, force }, 'cluster topology set by CLUSTERX SETNODES');
}

function setSlot(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  if (args.length !== 6 || !isWord(args[3], 'node')) throw new CommandError(ERRORS.syntax);
  const slot = parseSlot(args[2] as Buffer);
  const version = parseVersion(args[5] as Buffer);
  if (version !== cluster.version + 1) throw new CommandError(TOPOLOGY_ERRORS.version);
  const node = cluster.topology.node((args[4] as Buffer).toString('latin1').toLowerCase());
  if (node === undefined) throw new CommandError('ERR No this node in the cluster');
  if (node.role !== 'master') throw new CommandError("ERR The node isn't a master");
  change(ctx, () => cluster.assignSlot(slot, node.id, version));
}

function setNodeId(ctx: CommandContext, args: Buffer[]): void {
  const cluster = clusterOf(ctx);
  const id = (args[2] as Buffer).toString('latin1');
  if (!isNodeId(id)) throw new CommandError(TOPOLOGY_ERRORS.nodeId);
  change(ctx, () => cluster.setMyId(id));
}

const HELP_LINES = [
  'CLUSTERX <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'SETNODES <nodes> <version> [1|0|FORCE]',
  '    Set the whole topology: one line per node, "<id> <ip> <port> master - <slot or first-last>..."',
  '    or "<id> <ip> <port> slave <master id>"; applied if <version> is newer (or FORCE).',
  'SETSLOT <slot> NODE <node-id> <version>',
  '    Assign one slot; <version> must be the current version + 1.',
  'VERSION',
  '    Return the topology version.',
  'MYID',
  '    Return the node id.',
  'SETNODEID <node-id>',
  '    Set the node id (40 hex characters).',
  'HELP',
  '    Prints this help.',
];

const sub = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'cluster', since: '0.1.0' } as const;

export const clusterxCommands: CommandSpec[] = [
  {
    ...sub, name: 'clusterx', arity: -2, flags: [], summary: 'A container for the topology push commands (Kvrocks).', handler: (ctx, args) => {
      clusterOf(ctx);
      throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'clusterx'));
    },
    subcommands: [
      { ...sub, name: 'setnodes', arity: -4, flags: ['admin', 'stale'], summary: 'Sets the whole cluster topology, if its version is newer.', handler: setNodes },
      { ...sub, name: 'setslot', arity: 6, flags: ['admin', 'stale'], summary: 'Assigns one slot to a node in the next topology version.', handler: setSlot },
      { ...sub, name: 'setnodeid', arity: 3, flags: ['admin', 'stale'], summary: 'Sets the node id.', handler: setNodeId },
      { ...sub, name: 'version', arity: 2, flags: ['stale'], summary: 'Returns the topology version.', handler: (ctx) => ctx.out.integer(clusterOf(ctx).version) },
      { ...sub, name: 'myid', arity: 2, flags: ['stale'], summary: 'Returns the node id.', handler: (ctx) => ctx.out.bulk(clusterOf(ctx).myId) },
      {
        ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Returns helpful text about the different subcommands.', handler: (ctx) => {
          clusterOf(ctx);
          writeHelp(ctx, HELP_LINES);
        },
      },
    ],
  },
];
