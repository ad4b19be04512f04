// test/helpers/cluster.ts: a tskv cluster on 127.0.0.1 for end-to-end tests, started by the
// project's own cluster/up.sh (N nodes on consecutive ports, slots split evenly) and stopped by
// cluster/down.sh; kill9() SIGKILLs one node by the pid up.sh recorded, up() restarts what is down.
// Invariants:
// - Every node started is killed by pid when the test process exits, whatever happened.
// - Scripts run with bounded time (SCRIPT_TIMEOUT_MS); a node that does not die within
//   KILL_WAIT_MS of SIGKILL fails the test.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_DIR, ensureBuilt } from './server.js';

const run = promisify(execFile);
const SCRIPT_TIMEOUT_MS = 60_000;
const KILL_WAIT_MS = 5_000;
const PORT_TRIES_MAX = 50;
export const UP_SCRIPT = path.join(REPO_DIR, 'cluster', 'up.sh');
export const DOWN_SCRIPT = path.join(REPO_DIR, 'cluster', 'down.sh');

const started = new Set<string>(); // pid files of nodes we started
process.on('exit', () => {
  for (const file of started) {
    try {
      process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** count consecutive free ports on 127.0.0.1 (probed; another process may still take one). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < PORT_TRIES_MAX; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface TestCluster {
  dir: string;
  ports: number[];
  pid(index: number): number;
  /** Runs cluster/up.sh again: starts the nodes that are down, with their data and slots. */
  up(): Promise<string>;
  kill9(index: number): Promise<void>;
  down(): Promise<void>;
}

/** count nodes by cluster/up.sh; extraArgs go to every node (up.sh's TSKV_ARGS). */
export async function startCluster(count: number, extraArgs: readonly string[] = []): Promise<TestCluster> {
  ensureBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-cluster-'));
  const base = await freePortRange(count);
  const ports = Array.from({ length: count }, (_, index) => base + index);
  const pidFile = (index: number) => path.join(dir, `${ports[index]}.pid`);
  const up = async () => {
    const env = { ...process.env, TSKV_ARGS: extraArgs.join(' ') };
    const { stdout } = await run('sh', [UP_SCRIPT, String(count), String(base), dir], { timeout: SCRIPT_TIMEOUT_MS, env });
    for (let index = 0; index < count; index++) started.add(pidFile(index));
    return stdout;
  };
  await up();
  return {
    dir,
    ports,
    pid: (index) => Number(readFileSync(pidFile(index), 'utf8')),
    up,
    kill9: async (index) => {
      const pid = Number(readFileSync(pidFile(index), 'utf8'));
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + KILL_WAIT_MS;
      while (alive(pid)) {
        if (Date.now() > deadline) throw new Error(`node ${ports[index]} (pid ${pid}) survived SIGKILL`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    down: async () => {
      if (existsSync(dir)) await run('sh', [DOWN_SCRIPT, dir], { timeout: SCRIPT_TIMEOUT_MS });
    },
  };
}
