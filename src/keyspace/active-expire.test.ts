// src/keyspace/active-expire.test.ts: the active expiry timer on a real Engine (CrashableFileSystem).
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { runActiveExpireTick, startActiveExpire } from './active-expire.js';
import { KEY_TYPE, Keyspace } from './keyspace.js';

const opened: Engine[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

async function openKeyspace(fs = new CrashableFileSystem()): Promise<Keyspace> {
  const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always' });
  opened.push(engine);
  return Keyspace.open(engine);
}

async function fill(keyspace: Keyspace, count: number, expireAtMs: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    keyspace.set(0, Buffer.from(`k${index}`), { type: KEY_TYPE.string, encoding: 0, expireAtMs, version: 0, count: 0, payload: Buffer.from('v') });
  }
  await keyspace.commit();
}

describe('active expiry', () => {
  it('reclaims expired keys at most entriesPerTickMax per tick, and commits each tick', async () => {
    const keyspace = await openKeyspace();
    await fill(keyspace, 250, Date.now() - 1);
    const expired: number[] = [];
    const commits: Promise<void>[] = [];
    const options = { entriesPerTickMax: 100, onExpired: (count: number) => expired.push(count), onCommit: (commit: Promise<void>) => commits.push(commit) };
    expect(runActiveExpireTick(keyspace, options)).toBe(100);
    expect(keyspace.hasStaged()).toBe(false);
    expect(runActiveExpireTick(keyspace, options)).toBe(100);
    expect(runActiveExpireTick(keyspace, options)).toBe(50);
    expect(runActiveExpireTick(keyspace, options)).toBe(0);
    await Promise.all(commits);
    expect(expired).toEqual([100, 100, 50]);
    expect(keyspace.dbSize(0)).toBe(0);
  });

  it('leaves keys that are not yet due, and waits while canWrite says no or a command has staged writes', async () => {
    const keyspace = await openKeyspace();
    await fill(keyspace, 10, Date.now() + 60_000);
    expect(runActiveExpireTick(keyspace)).toBe(0);
    expect(keyspace.dbSize(0)).toBe(10);
    keyspace.set(0, Buffer.from('due'), { type: KEY_TYPE.string, encoding: 0, expireAtMs: Date.now() - 1, version: 0, count: 0, payload: Buffer.from('v') });
    expect(runActiveExpireTick(keyspace)).toBe(0); // a command's write is staged
    await keyspace.commit();
    expect(runActiveExpireTick(keyspace, { canWrite: () => false })).toBe(0);
    expect(runActiveExpireTick(keyspace)).toBe(1);
  });

  it('runs on its timer until stopped', async () => {
    const keyspace = await openKeyspace();
    await fill(keyspace, 30, Date.now() + 150);
    let total = 0;
    const expiry = startActiveExpire(keyspace, { intervalMs: 20, onExpired: (count) => (total += count) });
    const deadline = Date.now() + 10_000;
    while (total < 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expiry.stop();
    expect(total).toBe(30);
  });
});
