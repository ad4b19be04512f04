// chaos/engine-writer.ts: a child process for chaos/engine-kill.test.ts. Opens the engine on a
// real directory with tiny memtables (so WALs rotate many times a second) and writes keys
// `w<round>:<index>` one batch at a time, printing "acked <index>" once each write resolved, until
// it is killed (or, as a bound, after --seconds).
//   node --import tsx chaos/engine-writer.ts --dir D --round R --policy always|everysec|no [--seconds 10]
import { Engine, type SyncPolicy } from '../storage/index.js';

const MEMTABLE_BYTES_MAX = 48 * 1024;
const VALUE = Buffer.alloc(100, 0x76);

function argument(name: string, fallback?: string): string {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

async function main(): Promise<void> {
  const dir = argument('--dir');
  const round = argument('--round');
  const syncPolicy = argument('--policy', 'always') as SyncPolicy;
  const deadline = Date.now() + Number(argument('--seconds', '10')) * 1000;
  const engine = await Engine.open({ dir, syncPolicy, memtableBytesMax: MEMTABLE_BYTES_MAX });
  process.stdout.write('open\n');
  for (let index = 0; Date.now() < deadline; index++) {
    if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
    await engine.write([{ kind: 'put', key: Buffer.from(`w${round}:${index}`), value: VALUE }]);
    process.stdout.write(`acked ${index}\n`);
  }
  await engine.close();
}

await main();
