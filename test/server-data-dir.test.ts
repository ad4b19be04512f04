// test/server-data-dir.test.ts: the data directory from the outside. Its LOCK is the kernel's: a
// restart right after kill -9 works while the killed server is still an unreaped zombie, a stale
// LOCK naming a live unrelated process blocks nothing, and a second server on the same directory
// exits 1 naming the holder. The open logs how long recovery took and the WAL bytes it replayed.
// A --dir that is a file, cannot be created, or is not writable exits 1 with one line on stderr.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply } from './helpers/raw-client.js';
import { REPO_DIR, SERVER_BUNDLE, ensureBuilt, freePort, rawRequest, startServer } from './helpers/server.js';

const READY_MS = 20_000;
const ZOMBIE_WAIT_MS = 5_000;
const UNPRIVILEGED_ID = 65_534; // nobody, to meet permissions as root (CI) does not

/**
 * A perl parent that forks and execs its arguments, prints `child <pid>`, and reaps nothing until
 * its stdin closes (a child killed meanwhile stays a zombie, as under a supervisor slow to reap);
 * then it SIGKILLs the child, reaps it and exits. If this process dies, its stdin closes too.
 */
const UNREAPING_PARENT = '$| = 1; my $pid = fork() // die "fork: $!"; if ($pid == 0) { exec(@ARGV) or die "exec: $!" } print "child $pid\\n"; <STDIN>; kill("KILL", $pid); waitpid($pid, 0);';
const PARENT_EXIT_MS = 5_000;
const parents = new Set<ChildProcess>();

async function endParent(parent: ChildProcess): Promise<void> {
  parents.delete(parent);
  if (parent.exitCode !== null || parent.signalCode !== null) return;
  const exited = new Promise((resolve) => parent.once('exit', resolve));
  parent.stdin!.end();
  const timer = setTimeout(() => parent.kill('SIGKILL'), PARENT_EXIT_MS);
  await exited;
  clearTimeout(timer);
}
afterAll(async () => {
  for (const parent of [...parents]) await endParent(parent);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'Z' once every thread of pid exited (its descriptors closed) and only its zombie is left. */
function processState(pid: number): string | undefined {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`).length; // the leader is a zombie before its threads finish exiting
    const state = /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state === 'Z' && tasks > 1 ? 'exiting' : state;
  } catch {
    return undefined; // gone
  }
}

/** Starts the server under UNREAPING_PARENT; resolves once it answers PING. */
async function startUnreapedServer(dir: string, port: number): Promise<{ pid: number; parent: ChildProcess }> {
  ensureBuilt();
  const parent = spawn('perl', ['-e', UNREAPING_PARENT, process.execPath, SERVER_BUNDLE, '--port', String(port), '--dir', dir], {
    cwd: REPO_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  parents.add(parent);
  let output = '';
  parent.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  parent.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    const pid = /child (\d+)\n/.exec(output)?.[1];
    if (pid !== undefined && (await rawRequest(port, 'PING\r\n', 500)) === '+PONG\r\n') return { pid: Number(pid), parent };
    await sleep(50);
  }
  await endParent(parent);
  throw new Error(`server under perl did not answer PING:\n${output}`);
}

function engineOpenLine(output: string): Record<string, unknown> {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.msg === 'engine open') return record;
  }
  throw new Error(`no engine open line in:\n${output}`);
}

describe('LOCK', () => {
  it('lets a restart right after kill -9 take the directory while the killed server is a zombie', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-zombie-'));
    const port = await freePort();
    const { pid, parent } = await startUnreapedServer(dir, port);
    try {
      const client = await RawClient.connect(port);
      expect(formatReply(await client.send(['SET', 'before-kill', 'kept']))).toBe('+OK');
      client.close();
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + ZOMBIE_WAIT_MS;
      while (processState(pid) !== 'Z' && Date.now() < deadline) await sleep(10);
      expect(processState(pid)).toBe('Z');
      const restarted = await startServer({ dir, port });
      try {
        expect(processState(pid)).toBe('Z'); // still unreaped while the new server took over
        const check = await RawClient.connect(port);
        expect(formatReply(await check.send(['GET', 'before-kill']))).toBe('"kept"');
        check.close();
      } finally {
        await restarted.stop();
      }
    } finally {
      await endParent(parent);
    }
  });

  it('starts over a stale LOCK that names a live unrelated process', async () => {
    for (const holderPid of [process.pid, 1]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-stale-'));
      writeFileSync(path.join(dir, 'LOCK'), `${holderPid}\n`); // as the pid-file LOCK of older versions
      const server = await startServer({ dir });
      try {
        expect(JSON.parse(readFileSync(path.join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid: server.pid });
      } finally {
        await server.stop();
      }
    }
  });

  it('refuses a second server on the same directory, naming the process that holds it', async () => {
    const first = await startServer();
    try {
      const second = await startServer({ dir: first.dir, noWait: true });
      const exit = await second.exited();
      expect(exit).toEqual({ code: 1, signal: null });
      const started = new RegExp(`LOCK is held by process ${first.pid} \\(started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, host ${os.hostname()}\\)`);
      expect(second.output()).toMatch(started);
      const check = await RawClient.connect(first.port);
      expect(formatReply(await check.send(['PING']))).toBe('+PONG');
      check.close();
    } finally {
      await first.stop();
    }
  });
});

describe('recovery', () => {
  it('logs how long recovery took and how many WAL bytes it replayed', async () => {
    const server = await startServer();
    let replayed: Record<string, unknown>;
    try {
      const fresh = engineOpenLine(server.output());
      expect(fresh).toMatchObject({ replayedBytes: 0 });
      expect(fresh.recoveryMs).toBeGreaterThanOrEqual(0);
      const client = await RawClient.connect(server.port);
      const value = 'v'.repeat(1000);
      await client.pipeline(Array.from({ length: 20 }, (_, index) => ['SET', `replay:${index}`, value]));
      client.close();
      await server.kill9();
      await server.restart();
      replayed = engineOpenLine(server.output());
    } finally {
      await server.stop();
    }
    expect(replayed.replayedBytes).toBeGreaterThan(20 * 1000);
    expect(replayed.recoveryMs).toBeGreaterThanOrEqual(0);
  });
});

function runServer(args: string[], options: { uid?: number; gid?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  ensureBuilt();
  const result = spawnSync(process.execPath, [SERVER_BUNDLE, '--port', '0', ...args], { encoding: 'utf8', timeout: 10_000, ...options });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** As root, the uid/gid under which a directory owned by root is not writable, if it can run the bundle. */
function unprivileged(): { uid?: number; gid?: number } | undefined {
  if (process.getuid?.() !== 0) return {};
  const ids = { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID };
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(SERVER_BUNDLE)})`], ids);
  return probe.status === 0 ? ids : undefined;
}
const asUnprivileged = unprivileged();

describe('--dir', () => {
  it('that is a file, or under a file, exits 1 with one line', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tskv-dir-')), 'a-file');
    writeFileSync(file, 'not a directory');
    const onFile = runServer(['--dir', file]);
    expect(onFile).toMatchObject({ status: 1, stdout: '', stderr: `tskv: --dir '${file}' is not a directory\n` });
    const under = path.join(file, 'data');
    const underFile = runServer(['--dir', under]);
    expect(underFile).toMatchObject({ status: 1, stdout: '', stderr: `tskv: --dir '${under}' can't be created: ENOTDIR: not a directory\n` });
  });

  it.skipIf(asUnprivileged === undefined)('that is not writable, or cannot be created, exits 1 with one line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-dir-'));
    const readOnly = path.join(dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(dir, 0o755);
    chmodSync(readOnly, 0o555); // as root: writable by root only, as a volume a non-root container user cannot write
    const notWritable = runServer(['--dir', readOnly], asUnprivileged);
    expect(notWritable).toMatchObject({ status: 1, stdout: '', stderr: `tskv: --dir '${readOnly}' is not writable: EACCES: permission denied\n` });
    const inside = path.join(readOnly, 'data');
    const cannotCreate = runServer(['--dir', inside], asUnprivileged);
    expect(cannotCreate).toMatchObject({ status: 1, stdout: '', stderr: `tskv: --dir '${inside}' can't be created: EACCES: permission denied\n` });
  });
});
