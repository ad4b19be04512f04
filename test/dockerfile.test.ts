// test/dockerfile.test.ts: the Dockerfile, without a Docker engine. Its instructions are parsed with
// dockerfile-ast and checked against issue 8 (multi-stage, slim Node 20, non-root, EXPOSE 7379,
// VOLUME /data, HEALTHCHECK, STOPSIGNAL SIGTERM, --bind 0.0.0.0 --dir /data); then the built bundle
// is run with exactly the image's ENTRYPOINT + CMD words (node = this node, /data = a temp dir,
// port 7379 = a free port so parallel runs cannot collide), plus the flag the README shows for
// each way to open the server to the bridge network, and it must answer PING, pass the image's own
// HEALTHCHECK command, and exit 0 within Docker's 10 s of SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
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

  it('has a HEALTHCHECK that sends PING', () => {
    const words = healthcheckWords();
    expect(words[0]).toBe('node');
    expect(words.join(' ')).toMatch(/PING/);
  });

  it('runs the bundle bound to 0.0.0.0 with --dir /data', () => {
    expect(command.slice(0, 2)).toEqual(['node', 'dist/tskv.js']);
    expect(flagValue(command, '--bind')).toBe('0.0.0.0');
    expect(flagValue(command, '--dir')).toBe('/data');
    expect(flagValue(command, '--port') ?? '7379').toBe('7379');
  });
});

interface Running {
  port: number;
  exited: Promise<number | null>;
  output: () => string;
  terminate(): void;
}

async function runImageCommand(extraFlags: string[]): Promise<Running> {
  ensureBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-docker-'));
  const port = await freePort();
  const words = command.map((word) => (word === '/data' ? dir : word));
  const portIndex = words.lastIndexOf('--port');
  if (portIndex >= 0) words[portIndex + 1] = String(port);
  else words.push('--port', String(port));
  const [, ...args] = words;
  const child = spawn(process.execPath, [...args, ...extraFlags], { cwd: REPO_DIR, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  return { port, exited, output: () => output, terminate: () => child.kill('SIGTERM') };
}

async function expectCleanStop(server: Running): Promise<void> {
  const started = Date.now();
  server.terminate();
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
  const code = await Promise.race([server.exited, timeout]);
  expect(code, server.output()).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
}

function runHealthcheck(port: number): number | null {
  const words = healthcheckWords().map((word) => word.replaceAll('7379', String(port)));
  const [program, ...args] = words;
  expect(program).toBe('node');
  return spawnSync(process.execPath, args, { timeout: 5_000 }).status;
}

describe('the image command, run on this machine', () => {
  it('serves PING with --protected-mode no, passes the HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const server = await runImageCommand(['--protected-mode', 'no']);
    try {
      expect(await rawRequest(server.port, '*1\r\n$4\r\nPING\r\n'), server.output()).toBe('+PONG\r\n');
      expect(runHealthcheck(server.port)).toBe(0);
    } finally {
      await expectCleanStop(server);
    }
  });

  it('asks for AUTH with --requirepass, still passes the HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const server = await runImageCommand(['--requirepass', 'docker-secret']);
    try {
      expect(await rawRequest(server.port, '*1\r\n$4\r\nPING\r\n'), server.output()).toMatch(/^-NOAUTH/);
      expect(await rawRequest(server.port, '*2\r\n$4\r\nAUTH\r\n$13\r\ndocker-secret\r\n')).toBe('+OK\r\n');
      expect(runHealthcheck(server.port)).toBe(0);
    } finally {
      await expectCleanStop(server);
    }
  });
});
