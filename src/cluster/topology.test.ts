// src/cluster/topology.test.ts: the topology text (Kvrocks's SETNODES lines) and slot ranges.
import { describe, expect, it } from 'vitest';
import { SLOT_COUNT } from '../keyspace/slot.js';
import { NO_OWNER, TOPOLOGY_ERRORS, formatTopology, parseTopology, slotRanges } from './topology.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('parseTopology', () => {
  it('reads masters with single slots and ranges, and a replica', () => {
    const topology = parseTopology(`${A} 127.0.0.1 7001 master - 0-5460 16383\n${B} 127.0.0.1 7002 master - 5461-16382\r\n${C} 127.0.0.1 7003 slave ${B}\n`, 3);
    expect(topology.version).toBe(3);
    expect(topology.ownerOf(0)?.id).toBe(A);
    expect(topology.ownerOf(5460)?.id).toBe(A);
    expect(topology.ownerOf(5461)?.id).toBe(B);
    expect(topology.ownerOf(16383)?.id).toBe(A);
    expect(topology.assignedSlotCount()).toBe(SLOT_COUNT);
    expect(topology.size()).toBe(2);
    expect(topology.replicasOf(B).map((node) => node.id)).toEqual([C]);
    expect(topology.rangesOf(0)).toEqual([[0, 5460], [16383, 16383]]);
  });

  it('writes back what it read', () => {
    const text = `${A} 127.0.0.1 7001 master - 0-5460 16383\n${B} 10.0.0.2 7002 master - 5461-16382\n${C} 127.0.0.1 7003 slave ${B}`;
    expect(formatTopology(parseTopology(text, 1))).toBe(text);
  });

  it('leaves slots no line names without an owner', () => {
    const topology = parseTopology(`${A} 127.0.0.1 7001 master - 100`, 1);
    expect(topology.owners[99]).toBe(NO_OWNER);
    expect(topology.ownerOf(100)?.id).toBe(A);
    expect(topology.assignedSlotCount()).toBe(1);
  });

  it.each([
    ['', TOPOLOGY_ERRORS.nodesInfo],
    [`${A} 127.0.0.1 7001 master`, TOPOLOGY_ERRORS.nodesInfo],
    [`${A.slice(1)} 127.0.0.1 7001 master -`, TOPOLOGY_ERRORS.nodeId],
    [`${A} 127.0.0.1 port master -`, TOPOLOGY_ERRORS.port],
    [`${A} 127.0.0.1 70000 master -`, TOPOLOGY_ERRORS.port],
    [`${A} 127.0.0.1 7001 leader -`, TOPOLOGY_ERRORS.role],
    [`${A} 127.0.0.1 7001 master ${B}`, TOPOLOGY_ERRORS.nodeId],
    [`${A} 127.0.0.1 7001 master - 16384`, TOPOLOGY_ERRORS.slotRange],
    [`${A} 127.0.0.1 7001 master - 10-5`, TOPOLOGY_ERRORS.slotRange],
    [`${A} 127.0.0.1 7001 master - 1-2-3`, TOPOLOGY_ERRORS.slotRange],
    [`${A} 127.0.0.1 7001 master - 0-10\n${B} 127.0.0.1 7002 master - 10`, TOPOLOGY_ERRORS.overlap],
    [`${A} 127.0.0.1 7001 master -\n${A} 127.0.0.1 7002 master -`, TOPOLOGY_ERRORS.duplicate],
    [`${A} 127.0.0.1 7001 slave ${B}`, TOPOLOGY_ERRORS.unknownMaster],
    [`${A} 127.0.0.1 7001 master -\n${B} 127.0.0.1 7002 slave ${A} 5`, TOPOLOGY_ERRORS.nodesInfo],
  ])('refuses %j', (text, message) => {
    expect(() => parseTopology(text, 1)).toThrow(message);
  });
});

describe('slotRanges', () => {
  it('covers every slot once, in order, merging runs of one owner', () => {
    const owners = new Int16Array(SLOT_COUNT).fill(NO_OWNER);
    owners.fill(0, 0, 10);
    owners.fill(1, 10, 20);
    owners[16383] = 0;
    expect(slotRanges(owners)).toEqual([
      { first: 0, last: 9, owner: 0 }, { first: 10, last: 19, owner: 1 }, { first: 20, last: 16382, owner: NO_OWNER }, { first: 16383, last: 16383, owner: 0 },
    ]);
  });
});
