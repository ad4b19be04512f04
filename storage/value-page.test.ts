import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type WriteOp } from './engine.js';
import { newValuePage, type ValuePage } from './value-page.js';

const opened: { engine: Engine; dir: string }[] = [];

async function open(): Promise<Engine> {
  const dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-value-page-'));
  const engine = await Engine.open({ dir, syncPolicy: 'no' });
  opened.push({ engine, dir });
  return engine;
}

afterEach(async () => {
  for (const { engine, dir } of opened.splice(0)) {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function key(index: number): Buffer {
  const bytes = Buffer.alloc(12, 0x61);
  bytes.writeUInt32BE(index, 8);
  return bytes;
}

function put(index: number, value: string, expireAtMs = 0): WriteOp {
  return { kind: 'put', key: key(index), value: Buffer.from(value), expireAtMs };
}

function values(page: ValuePage): string[] {
  return Array.from({ length: page.count }, (_, index) => page.sources[index]!.toString('latin1', page.offsets[index]!, page.offsets[index]! + page.lengths[index]!));
}

/** valuesPage's answer, and scanPage's for the same range when it gave one. */
function both(engine: Engine, from: number, to: number, limit: number): { answered: boolean; page: string[]; more: boolean; scan: string[]; scanMore: boolean } {
  const page = newValuePage();
  const answered = engine.valuesPage(key(from), key(to), limit, page);
  const scan = engine.scanPage({ start: key(from), end: key(to) }, limit);
  return { answered, page: values(page), more: page.more, scan: scan.items.map((item) => item.value.toString('latin1')), scanMore: scan.more };
}

describe('Engine.valuesPage', () => {
  it('reads a range held by the memtable alone: newest versions, no deletes, no expired puts', async () => {
    const engine = await open();
    await engine.write([put(1, 'a'), put(2, 'b'), put(3, 'c'), put(4, 'd'), put(5, 'e')]);
    await engine.write([put(2, 'B'), { kind: 'delete', key: key(3) }, put(4, 'gone', Date.now() - 1)]);
    const result = both(engine, 1, 6, 10);
    expect(result).toMatchObject({ answered: true, page: ['a', 'B', 'e'], more: false });
    expect(result.page).toEqual(result.scan);
    expect(both(engine, 1, 6, 2)).toMatchObject({ answered: true, page: ['a', 'B'], more: true, scanMore: true });
    expect(both(engine, 6, 9, 2)).toMatchObject({ answered: true, page: [], more: false });
  });

  it('reads a range held by one table, and refuses one that the memtable and a table share', async () => {
    const engine = await open();
    await engine.write([put(1, 'a'), put(2, 'b'), put(3, 'c'), put(7, 'g')]);
    await engine.flush();
    expect(engine.stats().sstableFiles).toBe(1);
    expect(both(engine, 1, 4, 10)).toMatchObject({ answered: true, page: ['a', 'b', 'c'], scan: ['a', 'b', 'c'] });
    await engine.write([put(5, 'e'), put(6, 'f')]);
    // 5 .. 6 lie inside the table's key range, but the table holds no key there
    expect(both(engine, 4, 7, 10)).toMatchObject({ answered: true, page: ['e', 'f'], scan: ['e', 'f'] });
    await engine.write([{ kind: 'delete', key: key(2) }]);
    expect(both(engine, 1, 4, 10)).toMatchObject({ answered: false, scan: ['a', 'c'] });
    expect(both(engine, 1, 8, 10)).toMatchObject({ answered: false, scan: ['a', 'c', 'e', 'f', 'g'] });
  });

  it('answers from the active memtable alone when it holds every key the caller says the range can hold', async () => {
    const engine = await open();
    await engine.write([put(1, 'old1'), put(2, 'old2'), put(3, 'old3')]);
    await engine.flush();
    await engine.write([put(1, 'a'), put(2, 'b'), put(3, 'c')]);
    const page = newValuePage();
    expect(engine.valuesPage(key(1), key(4), 3, page)).toBe(false); // the table holds keys there too
    expect(engine.valuesPage(key(1), key(4), 3, page, 3)).toBe(true);
    expect(values(page)).toEqual(['a', 'b', 'c']);
    await engine.write([{ kind: 'delete', key: key(2) }]);
    expect(engine.valuesPage(key(1), key(4), 3, page, 3)).toBe(false); // a live key short: the table may hold one
    expect(engine.scanPage({ start: key(1), end: key(4) }, 3).items.map((item) => item.value.toString())).toEqual(['a', 'c']);
  });

  it('matches scanPage over random writes, flushes and ranges whenever it answers', async () => {
    const engine = await open();
    let seed = 7;
    const random = (bound: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % bound;
    };
    let answered = 0;
    for (let round = 0; round < 40; round++) {
      const ops: WriteOp[] = [];
      const base = random(60);
      for (let index = 0; index < 1 + random(8); index++) {
        const at = base + random(12);
        ops.push(random(4) === 0 ? { kind: 'delete', key: key(at) } : put(at, `v${round}.${index}`));
      }
      await engine.write(ops);
      if (random(6) === 0) await engine.flush();
      for (let probe = 0; probe < 10; probe++) {
        const from = random(70);
        const result = both(engine, from, from + 1 + random(20), 1 + random(12));
        if (!result.answered) continue;
        answered++;
        expect(result.page).toEqual(result.scan);
        expect(result.more).toBe(result.scanMore);
      }
    }
    expect(answered).toBeGreaterThan(50);
  });
});
