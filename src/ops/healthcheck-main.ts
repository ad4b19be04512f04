// src/ops/healthcheck-main.ts: the entry of dist/healthcheck.js, the Docker HEALTHCHECK:
//   node dist/healthcheck.js [pid]      (pid: the server's process, 1 by default)
// Exits 0 when the server configured by that process's command line answers PING (healthcheck.ts).
import { healthcheck } from './healthcheck.js';

const report = (line: string) => process.stdout.write(`${line}\n`);
const word = process.argv[2];
const pid = word === undefined ? 1 : Number(word);
if (Number.isInteger(pid) && pid > 0) process.exitCode = await healthcheck(pid, report);
else {
  report(`tskv healthcheck: '${word}' is not a process id`);
  process.exitCode = 1;
}
