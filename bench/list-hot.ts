// bench/list-hot.ts: in-process CPU of a list's LRANGE 0 99 and RPOP as src/commands/lists.ts
// runs them (metadata lookup, element reads, RESP encoding; RPOP's staging and commit call),
// without sockets, on one list of --elements 100-byte elements pushed at the head under syncPolicy
// 'no'. `node --import tsx bench/list-hot.ts [--elements 400000]`; OLD=1 reads LRANGE through
// elementsBetween (the engine cursor) instead of elementViewsBetween. Prints µs per operation
// (process.cpuUsage) per round. Not part of CI.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../storage/index.js';
import { Keyspace } from '../src/keyspace/keyspace.js';
import { RespWriter } from '../protocol/index.js';
import { elementViewsBetween, elementsBetween, listLength, listRecord, newListState, popElements, pushElement, readListState } from '../src/types/list.js';

const argv = process.argv.slice(2);
const elementsIndex = argv.indexOf('--elements');
const ELEMENTS = elementsIndex >= 0 ? Number(argv[elementsIndex + 1]) : 400_000;
const ROUNDS = 5;
const VALUE = Buffer.alloc(100, 'x');
const key = Buffer.from('mylist');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-hot-'));
  const engine = await Engine.open({ dir, syncPolicy: 'no' });
  try {
    const keyspace = await Keyspace.open(engine);
    let commits: Promise<void>[] = [];
    for (let index = 0; index < ELEMENTS; index++) {
      const before = keyspace.get(0, key);
      const state = before === undefined ? newListState(keyspace) : readListState(before);
      pushElement(keyspace, state, 'head', VALUE);
      keyspace.set(0, key, listRecord(state));
      commits.push(keyspace.commit()!);
      if (commits.length === 800) { await Promise.all(commits); commits = []; }
    }
    await Promise.all(commits);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log('levelFiles', engine.stats().levelFiles);
    const out = new RespWriter(2);
    const loops = 20_000;
    for (let round = 0; round < ROUNDS; round++) {
      const started = process.cpuUsage();
      let bytes = 0;
      for (let loop = 0; loop < loops; loop++) {
        const state = readListState(keyspace.get(0, key)!);
        const views = process.env.OLD ? undefined : elementViewsBetween(keyspace, state, 0, 99);
        out.arrayHeader(100);
        if (views !== undefined) for (let index = 0; index < views.count; index++) out.bulkSlice(views.sources[index]!, views.offsets[index]!, views.lengths[index]!);
        else for (const value of elementsBetween(keyspace, state, 0, 99)) out.bulk(value);
        if (loop % 16 === 15) bytes += out.take().length;
      }
      const used = process.cpuUsage(started);
      console.log(`LRANGE 0 99: ${((used.user + used.system) / loops).toFixed(2)} µs/op (${bytes} bytes)`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const started = process.cpuUsage();
      const pops = 5_000;
      commits = [];
      for (let loop = 0; loop < pops; loop++) {
        const state = readListState(keyspace.get(0, key)!);
        const [value] = popElements(keyspace, state, 'tail', 1);
        keyspace.set(0, key, listRecord(state));
        out.bulk(value!);
        commits.push(keyspace.commit()!);
        if (loop % 16 === 15) out.take();
      }
      const used = process.cpuUsage(started);
      await Promise.all(commits);
      console.log(`RPOP: ${((used.user + used.system) / pops).toFixed(2)} µs/op (staging + commit call), length ${listLength(readListState(keyspace.get(0, key)!))}`);
    }
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
await main();
