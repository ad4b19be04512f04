// src/cluster/nodes-file.test.ts: the nodes file round-trips, refuses damage, and a crash at any
// point of a save leaves the old state or the new one.
import { describe, expect, it } from 'vitest';
import { CrashableFileSystem } from '../../storage/index.js';
import { NodesFileError, decodeNodesFile, encodeNodesFile, loadNodesFile, saveNodesFile, type NodesFileState } from './nodes-file.js';
import { Topology, parseTopology } from './topology.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const FILE = '/data/nodes.conf';

function state(version: number, split: number): NodesFileState {
  return {
    myId: A,
    topology: parseTopology(`${A} 127.0.0.1 7001 master - 0-${split - 1}\n${B} 127.0.0.1 7002 master - ${split}-16383`, version),
    migrating: new Map([[5, B]]),
    importing: new Map([[split + 1, B]]),
  };
}

describe('nodes file', () => {
  it('decodes what it encodes', () => {
    const original = state(7, 100);
    const decoded = decodeNodesFile(FILE, encodeNodesFile(original));
    expect(decoded.myId).toBe(A);
    expect(decoded.topology.version).toBe(7);
    expect(decoded.topology.sameLayout(original.topology)).toBe(true);
    expect([...decoded.migrating]).toEqual([[5, B]]);
    expect([...decoded.importing]).toEqual([[101, B]]);
  });

  it('reads a node that has no topology yet', () => {
    const decoded = decodeNodesFile(FILE, `version 0\nid ${A}\n`);
    expect(decoded.topology.nodes).toEqual([]);
    expect(decoded.topology.version).toBe(0);
  });

  it.each([
    ['version x', 'bad version line'],
    ['id 123', 'bad id line'],
    ['color blue', "unknown line 'color blue'"],
    [`node ${A} 127.0.0.1 7001 master - 0-20\nnode ${B} 127.0.0.1 7002 master - 20`, 'Slot distribution is overlapped'],
    [`migrating 16384 ${B}`, 'bad open slot line'],
  ])('refuses %j', (text, reason) => {
    expect(() => decodeNodesFile(FILE, text)).toThrow(NodesFileError);
    expect(() => decodeNodesFile(FILE, text)).toThrow(reason);
  });

  it('is absent before the first save', () => {
    expect(loadNodesFile(new CrashableFileSystem(), FILE)).toBeUndefined();
  });

  it('leaves the old state or the new one after a crash in any mode', () => {
    for (const mode of ['drop', 'keep-random', 'tear', 'zero-fill'] as const) {
      for (let seed = 0; seed < 20; seed++) {
        const fs = new CrashableFileSystem();
        fs.mkdirp('/data');
        saveNodesFile(fs, FILE, state(1, 100));
        const after = state(2, 200);
        const text = encodeNodesFile(after);
        fs.writeAll(`${FILE}.tmp`, Buffer.from(text)); // a save interrupted before its fsync
        fs.crash({ mode, seed });
        expect(loadNodesFile(fs, FILE)?.topology.version).toBe(1);
        saveNodesFile(fs, FILE, after);
        fs.crash({ mode, seed });
        expect(loadNodesFile(fs, FILE)?.topology.version).toBe(2);
      }
    }
  });

  it('writes nothing into place before the new content is synced', () => {
    const fs = new CrashableFileSystem();
    fs.mkdirp('/data');
    saveNodesFile(fs, FILE, { myId: A, topology: Topology.empty(), migrating: new Map(), importing: new Map() });
    expect(fs.exists(`${FILE}.tmp`)).toBe(false);
    expect(loadNodesFile(fs, FILE)?.myId).toBe(A);
  });
});
