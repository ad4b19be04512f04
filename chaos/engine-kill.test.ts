// chaos/engine-kill.test.ts: kill -9 of a process writing through the engine on the real file
// system, with memtables small enough that its WALs rotate many times a second. The live WAL keeps
// zeros preallocated past its last record (storage/wal.ts, WAL_RESERVE_BYTES), so this is where
// that space meets a real crash: after each kill every acknowledged write is there, every WAL but
// the newest ends exactly at its last record (a rotated WAL is trimmed), and the next run of the
// writer opens the same directory again. Bounded: ROUNDS kills, each after at most RUN_MS.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, RealFileSystem, type SyncPolicy } from '../storage/index.js';
import { parseFileName } from '../storage/recovery.js';
import { readWal } from '../storage/wal.js';

const ROUNDS = 3;
const RUN_MS = 1500;
// A kill waits for this many acknowledged writes too (each ~130 bytes: about two 48 KiB
// memtables, so a flush has happened), however slow a loaded machine makes the writer; the
// writer's own --seconds bounds the wait.
const ACKED_BEFORE_KILL_MIN = 800;
const WRITER = nodePath.join(import.meta.dirname, 'engine-writer.ts');

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-engine-kill-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the writer until it has acknowledged writes for RUN_MS and at least ACKED_BEFORE_KILL_MIN
 * of them, SIGKILLs it, returns the highest index acknowledged.
 */
function writeThenKill(round: number, policy: SyncPolicy): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, '--dir', dir, '--round', String(round), '--policy', policy, '--seconds', '20'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let acked = -1;
    let timer: NodeJS.Timeout | undefined;
    let runOver = false;
    const killWhenDue = (): void => {
      if (runOver && acked >= ACKED_BEFORE_KILL_MIN) child.kill('SIGKILL');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('latin1');
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'open') {
          timer ??= setTimeout(() => {
            runOver = true;
            killWhenDue();
          }, RUN_MS);
        } else if (line.startsWith('acked ')) acked = Number(line.slice(6));
      }
      killWhenDue();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (signal ${signal})`));
      else resolve(acked);
    });
  });
}

describe('kill -9 of an engine whose WALs rotate, on the real file system', () => {
  it('keeps every acknowledged write, and only the newest WAL ends in preallocated zeros', async () => {
    const fs = new RealFileSystem();
    const acked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      acked.push(await writeThenKill(round, 'always'));
      const wals = fs
        .list(dir)
        .map((name) => ({ name, parsed: parseFileName(name) }))
        .filter((file) => file.parsed?.kind === 'wal')
        .sort((a, b) => a.parsed!.number - b.parsed!.number);
      expect(wals.length).toBeGreaterThan(0);
      for (const [index, wal] of wals.entries()) {
        const path = nodePath.join(dir, wal.name);
        const read = readWal(fs, path, { isLast: index === wals.length - 1 }); // an older WAL with a zero tail would throw
        if (index < wals.length - 1) expect(read.validBytes).toBe(fs.fileSize(path));
      }
      const engine = await Engine.open({ dir, syncPolicy: 'always' });
      try {
        for (let earlier = 0; earlier <= round; earlier++) {
          for (let index = 0; index <= acked[earlier]!; index++) {
            expect(engine.get(Buffer.from(`w${earlier}:${index}`)), `w${earlier}:${index} of ${acked[earlier]} acknowledged`).toBeDefined();
          }
        }
        expect(engine.stats().flushes + engine.stats().sstableFiles).toBeGreaterThan(0);
      } finally {
        await engine.close();
      }
    }
    console.log(`acknowledged writes per round before kill -9: ${acked.join(', ')}`);
    expect(Math.min(...acked)).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL_MIN); // the writer got going each time
  }, 90_000);
});
