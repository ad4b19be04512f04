// src/cluster/nodes-file.ts: a node's cluster state on disk (cluster-config-file, nodes.conf in the
// data directory), in Kvrocks's nodes file format plus the slots left open by a migration:
//   version <n>                                  the topology version (0: none set yet)
//   id <40 hex>                                  this node's id
//   node <id> <host> <port> <role> <master|-> <slots>...   one per node (topology.ts's line)
//   migrating <slot> <node id>                   CLUSTER SETSLOT ... MIGRATING
//   importing <slot> <node id>                   CLUSTER SETSLOT ... IMPORTING
// A topology file given at start (cluster-topology-file) has the same form; its id line, if any,
// is ignored (nodes find themselves by address, topology.ts / cluster-state.ts).
// Invariants:
// - save() replaces the file atomically and durably: write <file>.tmp, fsync it, rename it over
//   the file, fsync the directory; a crash leaves the old state or the new one, never a mix.
// - load() refuses a file it cannot read whole (NodesFileError): a node must not serve slots
//   from half a topology.
import path from 'node:path';
import type { FileSystem } from '../../storage/index.js';
import { SLOT_COUNT } from '../keyspace/slot.js';
import { Topology, TopologyError, formatTopology, isNodeId, parseTopology } from './topology.js';

export class NodesFileError extends Error {
  override name = 'NodesFileError';
  readonly code = 'ERR_NODES_FILE';
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cluster state file ${file}: ${reason}`, options);
  }
}

export interface NodesFileState {
  myId: string | undefined;
  topology: Topology;
  migrating: Map<number, string>; // slot -> target node id
  importing: Map<number, string>; // slot -> source node id
}

export function encodeNodesFile(state: NodesFileState): string {
  const lines = [`version ${state.topology.version}`];
  if (state.myId !== undefined) lines.push(`id ${state.myId}`);
  if (state.topology.nodes.length > 0) for (const line of formatTopology(state.topology).split('\n')) lines.push(`node ${line}`);
  for (const [slot, id] of state.migrating) lines.push(`migrating ${slot} ${id}`);
  for (const [slot, id] of state.importing) lines.push(`importing ${slot} ${id}`);
  return `${lines.join('\n')}\n`;
}

function parseOpenSlot(file: string, fields: string[]): [number, string] {
  const [slotText, id] = fields;
  if (fields.length !== 2 || slotText === undefined || id === undefined || !/^\d{1,5}$/.test(slotText) || Number(slotText) >= SLOT_COUNT || !isNodeId(id)) {
    throw new NodesFileError(file, `bad open slot line '${fields.join(' ')}'`);
  }
  return [Number(slotText), id.toLowerCase()];
}

/** Parses the file's text; file names it in errors. */
export function decodeNodesFile(file: string, text: string): NodesFileState {
  let version = 0;
  let myId: string | undefined;
  const nodeLines: string[] = [];
  const migrating = new Map<number, string>();
  const importing = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const [word, ...fields] = line.split(/ +/);
    if (word === 'version') {
      if (fields.length !== 1 || !/^\d{1,15}$/.test(fields[0] as string)) throw new NodesFileError(file, `bad version line '${line}'`);
      version = Number(fields[0]);
    } else if (word === 'id') {
      if (fields.length !== 1 || !isNodeId(fields[0] as string)) throw new NodesFileError(file, `bad id line '${line}'`);
      myId = (fields[0] as string).toLowerCase();
    } else if (word === 'node') {
      nodeLines.push(fields.join(' '));
    } else if (word === 'migrating') {
      migrating.set(...parseOpenSlot(file, fields));
    } else if (word === 'importing') {
      importing.set(...parseOpenSlot(file, fields));
    } else {
      throw new NodesFileError(file, `unknown line '${line}'`);
    }
  }
  let topology = Topology.empty();
  if (nodeLines.length > 0) {
    try {
      topology = parseTopology(nodeLines.join('\n'), version);
    } catch (error) {
      if (!(error instanceof TopologyError)) throw error;
      throw new NodesFileError(file, error.message.replace(/^ERR /, ''), { cause: error });
    }
  } else if (version !== 0) {
    topology = new Topology(version, [], topology.owners);
  }
  return { myId, topology, migrating, importing };
}

/** The state in file, or undefined when there is no such file. */
export function loadNodesFile(fs: FileSystem, file: string): NodesFileState | undefined {
  if (!fs.exists(file)) return undefined;
  let text: string;
  try {
    text = fs.readAll(file).toString('utf8');
  } catch (error) {
    throw new NodesFileError(file, `can't be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return decodeNodesFile(file, text);
}

/** Replaces file with state, durably (see the invariants); throws the file system's error. */
export function saveNodesFile(fs: FileSystem, file: string, state: NodesFileState): void {
  const temp = `${file}.tmp`;
  fs.writeAll(temp, Buffer.from(encodeNodesFile(state), 'utf8'));
  fs.syncFile(temp);
  fs.rename(temp, file);
  fs.syncDir(path.dirname(file));
}
