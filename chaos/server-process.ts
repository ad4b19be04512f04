// chaos/server-process.ts: starts, SIGKILLs and restarts one server process for the chaos tools.
// The server is the real built one (`node dist/tskv.js --port P --dir D --appendfsync X`), or, to
// validate the checker itself, a stock `redis-server` with AOF on the same flags.
// Invariants:
// - A process is "ready" once a PING on a fresh connection answers +PONG (a -LOADING reply or a
//   refused connection means "not yet"); start() resolves then, with the time it took.
// - Only the PID this object spawned is ever signalled.
// - Every (re)start runs the same bundle: a private copy of dist/tskv.js taken at the first start,
//   so a concurrent `node build.mjs` cannot change the server between a kill and its restart.
// - CHAOS_SERVER=redis in the environment makes every ServerProcess without an explicit kind a
//   redis-server: the chaos tests then check the checks against the reference implementation.
// - The last SERVER_OUTPUT_BYTES_MAX bytes of stdout+stderr are kept for failure messages.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RespClient } from './resp-client.js';

export const SERVER_OUTPUT_BYTES_MAX = 64 * 1024;
export const READY_TIMEOUT_MS = 60_000;
export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_SCRIPT = path.join(REPO_DIR, 'dist', 'tskv.js');

export type ServerKind = 'tskv' | 'redis';

export interface ServerProcessOptions {
  dir: string;
  port?: number; // a free one is picked when absent; kept across restarts
  appendfsync?: 'always' | 'everysec' | 'no';
  kind?: ServerKind;
  extraArgs?: readonly string[];
  env?: Readonly<Record<string, string>>; // added to this process's environment
}

/** Builds dist/tskv.js if it is missing (vitest runs files in parallel forks; first one builds). */
export function ensureServerBuilt(): void {
  if (process.env.CHAOS_SERVER === 'redis' || fs.existsSync(SERVER_SCRIPT)) return;
  execFileSync(process.execPath, ['build.mjs'], { cwd: REPO_DIR, stdio: 'inherit' });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Children still running; SIGKILLed if this process exits first (a failed test, ^C). */
const running = new Set<ChildProcess>();
/** Private copies of the server bundle made by this process; removed when it exits. */
const bundleCopies = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const copy of bundleCopies) fs.rmSync(copy, { force: true });
});
let bundleCopyCount = 0;

/**
 * A private copy of dist/tskv.js (beside it, so its bare imports still resolve), so that a
 * rebuild by someone else mid-run cannot swap the binary between a kill and the restart.
 */
function copyBundle(): string {
  const copy = path.join(path.dirname(SERVER_SCRIPT), `.chaos-${process.pid}-${bundleCopyCount++}.js`);
  fs.copyFileSync(SERVER_SCRIPT, copy);
  bundleCopies.add(copy);
  return copy;
}

export class ServerProcess {
  port = 0;
  private child: ChildProcess | undefined;
  private output = '';
  private exitPromise: Promise<void> = Promise.resolve();
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private script: string | undefined; // this object's copy of the bundle, made at the first start

  constructor(readonly options: ServerProcessOptions) {}

  /** options.kind, else CHAOS_SERVER=redis from the environment (to run the chaos tests on Redis). */
  get kind(): ServerKind {
    return this.options.kind ?? (process.env.CHAOS_SERVER === 'redis' ? 'redis' : 'tskv');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  recentOutput(): string {
    return this.output;
  }

  private command(): { file: string; args: string[] } {
    const fsync = this.options.appendfsync ?? 'always';
    const extra = [...(this.options.extraArgs ?? [])];
    if (this.kind === 'redis') {
      return {
        file: 'redis-server',
        args: ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.options.dir, '--appendonly', 'yes',
          '--appendfsync', fsync, '--save', '', '--daemonize', 'no', ...extra],
      };
    }
    this.script ??= copyBundle();
    return {
      file: process.execPath,
      args: [this.script, '--port', String(this.port), '--dir', this.options.dir, '--appendfsync', fsync, ...extra],
    };
  }

  /** Spawns the server and waits until it answers PING; returns the milliseconds that took. */
  async start(): Promise<number> {
    if (this.port === 0) this.port = this.options.port ?? (await freePort());
    fs.mkdirSync(this.options.dir, { recursive: true });
    const { file, args } = this.command();
    const startedAt = performance.now();
    const env = this.options.env === undefined ? undefined : { ...process.env, ...this.options.env };
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
    this.child = child;
    this.lastExit = undefined;
    running.add(child);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-SERVER_OUTPUT_BYTES_MAX);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.lastExit = { code, signal };
        resolve();
      });
    });
    child.once('error', (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
    const deadline = startedAt + READY_TIMEOUT_MS;
    for (;;) {
      if (this.lastExit !== undefined) {
        throw new Error(`server exited during start (${JSON.stringify(this.lastExit)}):\n${this.output.slice(-4000)}`);
      }
      if (await this.answersPing()) return performance.now() - startedAt;
      if (performance.now() > deadline) {
        await this.kill9();
        throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms:\n${this.output.slice(-4000)}`);
      }
      await sleep(5);
    }
  }

  private async answersPing(): Promise<boolean> {
    let client: RespClient | undefined;
    try {
      client = await RespClient.connect(this.port, { timeoutMs: 1_000 });
      const reply = await Promise.race([client.call('PING'), sleep(2_000).then(() => 'timeout')]);
      return reply === 'PONG';
    } catch {
      return false;
    } finally {
      client?.close();
    }
  }

  /** SIGKILL, then wait for the exit. */
  async kill9(): Promise<void> {
    if (this.child === undefined || this.lastExit !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child === undefined || this.lastExit !== undefined) return;
    this.child.kill('SIGTERM');
    const exited = await Promise.race([this.exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exited) await this.kill9();
  }

  /** SIGKILL if running, and remove this object's copy of the bundle (call when done with it). */
  async dispose(): Promise<void> {
    await this.kill9();
    if (this.script === undefined) return;
    fs.rmSync(this.script, { force: true });
    bundleCopies.delete(this.script);
    this.script = undefined;
  }

  /** Resident set size of the server process in bytes (Linux /proc), undefined if unknown. */
  rssBytes(): number | undefined {
    const pid = this.child?.pid;
    if (pid === undefined) return undefined;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}
