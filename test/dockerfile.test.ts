// test/dockerfile.test.ts: the Dockerfile, without a Docker engine. Its instructions are parsed with
// dockerfile-ast and checked against issues 8 and 14 (multi-stage, slim Node 20, non-root, EXPOSE
// 7379, VOLUME /data, HEALTHCHECK on the configured port, STOPSIGNAL SIGTERM, --bind 0.0.0.0 --dir
// /data, CMD naming the config file the image copies); then the built bundle is run with exactly
// the image's ENTRYPOINT + CMD words (node = this node, /data = a temp dir, a path the image COPYs
// to = its source here, or a test's own file as a user would mount one; `--port <free>` appended
// unless the test sets the port itself, so parallel runs cannot collide), plus the flag the README
// shows for each way to open the server to the bridge network, and it must answer PING, pass the
// image's own HEALTHCHECK command unchanged (pointed at the server's pid instead of PID 1), and
// exit 0 within Docker's 10 s of SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { RawClient, formatReply } from './helpers/raw-client.js';
import { ensureBuilt, freePort, rawRequest, REPO_DIR } from './helpers/server.js';

const dockerfile = DockerfileParser.parse(readFileSync(path.join(REPO_DIR, 'Dockerfile'), 'utf8'));
const froms = dockerfile.getFROMs();
const finalStageLine = froms.at(-1)?.getRange().start.line ?? 0;
const finalInstructions = dockerfile.getInstructions().filter((instruction) => instruction.getRange().start.line >= finalStageLine);
const finalOf = (keyword: string): Instruction[] => finalInstructions.filter((instruction) => instruction.getKeyword() === keyword);
const jsonWords = (instruction: Instruction | undefined): string[] => (instruction as JSONInstruction | undefined)?.getJSONStrings().map((word) => word.getJSONValue()) ?? [];
const entrypoint = jsonWords(finalOf('ENTRYPOINT').at(-1));
const cmd = jsonWords(finalOf('CMD').at(-1));
const command = [...entrypoint, ...cmd];

/** The file here that a final-stage COPY (not --from) puts at `target` in the image. */
function copiedFrom(target: string): string | undefined {
  for (const copy of finalOf('COPY') as Copy[]) {
    if (copy.getFromFlag() !== null) continue;
    const words = copy.getArguments().map((arg) => arg.getValue());
    if (words.length === 2 && words[1] === target) return path.join(REPO_DIR, words[0] as string);
  }
  return undefined;
}

function flagValue(words: readonly string[], flag: string): string | undefined {
  const index = words.lastIndexOf(flag);
  return index < 0 ? undefined : words[index + 1];
}

/** The HEALTHCHECK's exec-form command words. */
function healthcheckWords(): string[] {
  const content = finalOf('HEALTHCHECK').at(-1)?.getArgumentsContent() ?? '';
  const json = content.replace(/^(?:--\S+\s+)*CMD\s+/, '');
  return JSON.parse(json) as string[];
}

describe('Dockerfile instructions', () => {
  it('builds in one stage and runs in another, both on a slim Node 20 image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      expect(from.getImageName()).toBe('node');
      expect(from.getImageTag()).toMatch(/^20(\.\d+)*-(.+-)?slim$/);
    }
    expect(froms[0]?.getBuildStage()).toBeTruthy();
    const copiedFrom = finalOf('COPY').map((copy) => (copy as Copy).getFromFlag()?.getValue());
    expect(copiedFrom).toContain(froms[0]?.getBuildStage());
    const buildRuns = dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === 'RUN').map((run) => run.getArgumentsContent() ?? '');
    expect(buildRuns.some((run) => run.includes('npm ci'))).toBe(true);
    expect(buildRuns.some((run) => run.includes('build.mjs'))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const user = finalOf('USER').at(-1)?.getArgumentsContent() ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('exposes 7379, declares /data a volume and stops with SIGTERM', () => {
    expect(finalOf('EXPOSE').flatMap((instruction) => instruction.getArguments().map((arg) => arg.getValue()))).toContain('7379');
    const volumes = finalOf('VOLUME').flatMap((instruction) => {
      const json = jsonWords(instruction);
      return json.length > 0 ? json : instruction.getArguments().map((arg) => arg.getValue());
    });
    expect(volumes).toContain('/data');
    expect(finalOf('STOPSIGNAL').at(-1)?.getArgumentsContent()).toBe('SIGTERM');
  });

  it('has a HEALTHCHECK that runs the bundled check, with no port written in', () => {
    const words = healthcheckWords();
    expect(words.slice(0, 2)).toEqual(['node', 'dist/healthcheck.js']);
    expect(words.join(' ')).not.toMatch(/7379/);
  });

  it('names in CMD the config file it copies from tskv.conf, with no --port before it to override the file\'s', () => {
    const [file, ...rest] = cmd;
    expect(file).toMatch(/^\/.*\.conf$/);
    expect(rest).toEqual([]);
    expect(copiedFrom(file as string)).toBe(path.join(REPO_DIR, 'tskv.conf'));
    expect(flagValue(entrypoint, '--port')).toBeUndefined();
  });

  it('runs the bundle bound to 0.0.0.0 with --dir /data, node with the young generation npm start uses', () => {
    expect(command.slice(0, 3)).toEqual(['node', '--max-semi-space-size=4', 'dist/tskv.js']);
    expect(flagValue(command, '--bind')).toBe('0.0.0.0');
    expect(flagValue(command, '--dir')).toBe('/data');
    expect(flagValue(command, '--port') ?? '7379').toBe('7379');
  });
});

interface Running {
  port: number;
  pid: number;
  exited: Promise<number | null>;
  output: () => string;
  terminate(): void;
}

interface ImageRun {
  extraFlags?: string[]; // the words a user adds after CMD
  configText?: string; // a config file of the test's own, as mounted over the image's
  port?: number; // the port the run configures itself (in configText or extraFlags)
}

async function runImageCommand(run: ImageRun = {}): Promise<Running> {
  ensureBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-docker-'));
  let mounted: string | undefined;
  if (run.configText !== undefined) {
    mounted = path.join(dir, 'mounted.conf');
    writeFileSync(mounted, run.configText);
  }
  const dataDir = path.join(dir, 'data');
  const port = run.port ?? (await freePort());
  const words = command.map((word) => (word === '/data' ? dataDir : copiedFrom(word) === undefined ? word : (mounted ?? (copiedFrom(word) as string))));
  if (run.port === undefined) words.push('--port', String(port));
  const [, ...args] = words;
  const child = spawn(process.execPath, [...args, ...(run.extraFlags ?? [])], { cwd: REPO_DIR, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    rmSync(dir, { recursive: true, force: true });
    resolve(code);
  }));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const reply = await rawRequest(port, 'PING\r\n', 500);
    if (reply !== '') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, pid: child.pid ?? -1, exited, output: () => output, terminate: () => child.kill('SIGTERM') };
}

async function expectCleanStop(server: Running): Promise<void> {
  const started = Date.now();
  server.terminate();
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
  const code = await Promise.race([server.exited, timeout]);
  expect(code, server.output()).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
}

/** The image's HEALTHCHECK command as written, told the server's pid (in a container it reads PID 1). */
function runHealthcheck(pid: number): { status: number | null; stdout: string } {
  const [program, ...args] = healthcheckWords();
  expect(program).toBe('node');
  const result = spawnSync(process.execPath, [...args, String(pid)], { cwd: REPO_DIR, encoding: 'utf8', timeout: 5_000 });
  return { status: result.status, stdout: result.stdout };
}

describe('the image command, run on this machine', () => {
  it('serves PING with --protected-mode no, passes the HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const server = await runImageCommand({ extraFlags: ['--protected-mode', 'no'] });
    try {
      expect(await rawRequest(server.port, '*1\r\n$4\r\nPING\r\n'), server.output()).toBe('+PONG\r\n');
      expect(runHealthcheck(server.pid).status).toBe(0);
    } finally {
      await expectCleanStop(server);
    }
  });

  it('asks for AUTH with --requirepass, still passes the HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const server = await runImageCommand({ extraFlags: ['--requirepass', 'docker-secret'] });
    try {
      expect(await rawRequest(server.port, '*1\r\n$4\r\nPING\r\n'), server.output()).toMatch(/^-NOAUTH/);
      expect(await rawRequest(server.port, '*2\r\n$4\r\nAUTH\r\n$13\r\ndocker-secret\r\n')).toBe('+OK\r\n');
      expect(runHealthcheck(server.pid).status).toBe(0);
    } finally {
      await expectCleanStop(server);
    }
  });

  it('reads the config file CMD names, after ENTRYPOINT\'s flags, which override its bind and dir', async () => {
    const server = await runImageCommand();
    try {
      const client = await RawClient.connect(server.port);
      const config = formatReply(await client.send(['CONFIG', 'GET', 'bind', 'port', 'appendfsync']));
      expect(config, server.output()).toBe(`["bind", "0.0.0.0", "port", "${server.port}", "appendfsync", "always"]`);
      expect(formatReply(await client.send(['CONFIG', 'GET', 'dir']))).toMatch(/tskv-docker-.*\/data"\]$/);
      const info = formatReply(await client.send(['INFO', 'server']));
      expect(info).toContain(`config_file:${path.join(REPO_DIR, 'tskv.conf')}\\r\\n`);
      client.close();
      expect(runHealthcheck(server.pid).status).toBe(0);
    } finally {
      await expectCleanStop(server);
    }
  });

  it('HEALTHCHECK checks the port a mounted config file sets, and the one a flag sets over it', async () => {
    const filePort = await freePort();
    const fromFile = await runImageCommand({ configText: `port ${filePort}\nrequirepass docker-secret\n`, port: filePort });
    try {
      expect(await rawRequest(filePort, '*1\r\n$4\r\nPING\r\n'), fromFile.output()).toMatch(/^-NOAUTH/);
      const check = runHealthcheck(fromFile.pid);
      expect(check.stdout).toContain(`127.0.0.1:${filePort} -> -NOAUTH`);
      expect(check.status).toBe(0);
    } finally {
      await expectCleanStop(fromFile);
    }
    const flagPort = await freePort();
    const fromFlag = await runImageCommand({ configText: `port ${filePort}\n`, extraFlags: ['--port', String(flagPort)], port: flagPort });
    try {
      const check = runHealthcheck(fromFlag.pid);
      expect(check.stdout, fromFlag.output()).toContain(`127.0.0.1:${flagPort} -> +PONG`);
      expect(check.status).toBe(0);
    } finally {
      await expectCleanStop(fromFlag);
    }
  });

  it('HEALTHCHECK fails when the server no longer answers', async () => {
    const server = await runImageCommand();
    process.kill(server.pid, 'SIGSTOP');
    try {
      const check = runHealthcheck(server.pid);
      expect(check.stdout).toContain('no answer');
      expect(check.status).toBe(1);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await expectCleanStop(server);
    }
  });
});
