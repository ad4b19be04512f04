// bench/set-cpu-ab.ts: server CPU per SET of two or more builds, alternating, one fresh server
// (empty temp dir) per run: `redis-benchmark -t set -n N -r 1000000 -d 100 -P 16 -c 50` against
// each bundle under each policy, round after round, then medians. CPU is utime + stime from
// /proc: the whole process (every thread: the flush worker's too) and the main thread alone
// (/proc/PID/task/PID/stat), since on machines with more cores the main thread is the limit;
// flushes and compactions are INFO's counts after the run. Not part of CI.
//   node --import tsx bench/set-cpu-ab.ts --bundles /tmp/base-w11/dist/tskv.js,dist/fw-1.js \
//     [--policies always,no] [--rounds 3] [--requests 600000]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawRequest } from '../test/helpers/server.js';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const index = argv.indexOf(name);
  return index >= 0 ? (argv[index + 1] ?? fallback) : fallback;
}
const BUNDLES = option('--bundles', 'dist/tskv.js').split(',');
const POLICIES = option('--policies', 'always,no').split(',');
const ROUNDS = Number(option('--rounds', '3'));
const REQUESTS = Number(option('--requests', '600000'));
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface Run { cpuUs: number; mainCpuUs: number; rps: number; flushes: number; compactions: number }

function cpuTicks(pid: number, mainThread: boolean): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function infoField(port: number, field: string): number {
  const text = execFileSync('redis-cli', ['-p', String(port), 'info'], { encoding: 'utf8' });
  const line = text.split(/\r?\n/).find((candidate) => candidate.startsWith(`${field}:`));
  return Number(line?.slice(field.length + 1) ?? NaN);
}

async function runOnce(bundle: string, policy: string): Promise<Run> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-setab-'));
  const child = spawn(process.execPath, [bundle, '--port', String(port), '--dir', dir, '--appendfsync', policy, '--loglevel', 'warning'], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 20_000;
    while (!(await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG')) {
      if (Date.now() > deadline) throw new Error(`${bundle} did not answer PING`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pid = child.pid as number;
    const before = cpuTicks(pid, false);
    const mainBefore = cpuTicks(pid, true);
    const csv = execFileSync('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(REQUESTS), '-r', '1000000', '-d', '100', '-P', '16', '-c', '50', '--csv'], { encoding: 'utf8' });
    const cpuUs = ((cpuTicks(pid, false) - before) / CLOCK_TICKS_PER_S) * 1e6 / REQUESTS;
    const mainCpuUs = ((cpuTicks(pid, true) - mainBefore) / CLOCK_TICKS_PER_S) * 1e6 / REQUESTS;
    const row = csv.trim().split('\n').find((line) => !line.startsWith('"test"')) ?? '';
    const rps = Number(row.split(',')[1]?.replace(/"/g, ''));
    return { cpuUs, mainCpuUs, rps, flushes: infoField(port, 'tskv_flushes'), compactions: infoField(port, 'tskv_compactions') };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const runs = new Map<string, Run[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const policy of POLICIES) {
    for (const bundle of BUNDLES) {
      const run = await runOnce(bundle, policy);
      const name = `${path.basename(bundle)} ${policy}`;
      runs.set(name, [...(runs.get(name) ?? []), run]);
      const load = os.loadavg()[0]!.toFixed(1);
      console.log(`round ${round} ${name}: ${run.cpuUs.toFixed(2)} µs/SET (main ${run.mainCpuUs.toFixed(2)}), ${Math.round(run.rps)} req/s, flushes ${run.flushes}, compactions ${run.compactions}, load ${load}`);
    }
  }
}
console.log(`\n| build, policy | CPU µs/SET whole process | main thread | req/s | flushes | compactions |\n| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [name, list] of runs) {
  const cells = (pick: (run: Run) => number, digits: number) => `${median(list.map(pick)).toFixed(digits)} (${list.map((run) => pick(run).toFixed(digits)).join(' ')})`;
  console.log(`| ${name} | ${cells((run) => run.cpuUs, 2)} | ${cells((run) => run.mainCpuUs, 2)} | ${cells((run) => run.rps, 0)} | ${list.map((run) => run.flushes).join(' ')} | ${list.map((run) => run.compactions).join(' ')} |`);
}
