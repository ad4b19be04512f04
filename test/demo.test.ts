// test/demo.test.ts: runs demo.sh as a user would and checks that it passes (every write redis-cli
// saw acknowledged survives the kill -9) and that it leaves neither a server nor its temp dir behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_DIR } from './helpers/server.js';

const hasRedisCli = spawnSync('redis-cli', ['--version']).status === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runDemo(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO_DIR, 'demo.sh')], { cwd: REPO_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 25_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('demo.sh', () => {
  it.skipIf(!hasRedisCli)('shows every acknowledged write back after kill -9, then cleans up (needs redis-cli)', async () => {
    ensureBuilt();
    const { code, output } = await runDemo({ DEMO_WRITES: '3000', DEMO_KILL_AFTER_S: '1' });
    expect(code, output).toBe(0);
    expect(output).toMatch(/redis-cli saw \d+ of 3000 SETs acknowledged before the kill/);
    expect(output).toMatch(/OK: all \d+ acknowledged writes survived kill -9/);
    expect(output).toContain('aof_last_write_status:ok');
    const dataDir = /data in (\S+)\/data,/.exec(output)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir as string)).toBe(false);
    const pids = [...output.matchAll(/^pid (\d+)$/gm)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid), `server ${pid} still running`).toBe(false);
  });
});
