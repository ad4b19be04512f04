// bench/chunk-codec.ts: the time series chunk codec (src/types/timeseries/chunk-codec.ts) alone,
// in one process, on three series cut into chunks of CHUNK_SIZE payload bytes, as the storage
// cuts them:
//   cpu       TSBS-like cpu metric: one sample every 10 s, values a random walk (normal steps,
//             sd 1, clamped to [0, 100]) rounded to 2 decimals
//   cpu-tsbs  the same walk as TSBS itself sends it: truncated to an integer (TSBS's devops
//             CPUMeasurement.ToPoint calls ToPointAllInt64, so usage_user=58i)
//   constant  one sample every 1 s, the same value throughout
//   random    random doubles (uniform [0, 1000), all 52 mantissa bits), gaps of 1..1000 ms
// For each, compressed (Gorilla) and uncompressed, it prints:
//   encode    samples/s through ChunkEncoder.tryAppend + finish (chunks cut at CHUNK_SIZE)
//   decode    samples/s through decodeChunkInto into reused arrays
//   scan      samples/s of decodeChunkInto plus a sum over the decoded values (a range aggregation)
//   B/sample  chunk bytes (80-byte header included) / samples, and payload bytes alone
// Each timing is the best of --repeats runs over all the series' chunks (the data stays in cache
// as the chunks a block cache would hold). A seeded generator makes the data the same every run.
//   node --import tsx bench/chunk-codec.ts [--samples 2000000] [--chunk-size 4096] [--repeats 5]
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ChunkEncoder, decodeChunkInto, readChunkHeader, type ChunkEncoding } from '../src/types/timeseries/chunk-codec.js';

interface Args {
  samples: number;
  chunkSize: number;
  repeats: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { samples: 2_000_000, chunkSize: 4096, repeats: 5 };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = Number(argv[index + 1]);
    if (name === '--samples') args.samples = value;
    else if (name === '--chunk-size') args.chunkSize = value;
    else if (name === '--repeats') args.repeats = value;
    else throw new Error(`unknown option ${name}`);
  }
  return args;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Series {
  name: string;
  timestamps: Float64Array;
  values: Float64Array;
}

function makeSeries(name: string, count: number): Series {
  const random = seededRandom(42);
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  let ts = 1_700_000_000_000;
  let walk = 50;
  for (let index = 0; index < count; index++) {
    if (name === 'cpu' || name === 'cpu-tsbs') {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      walk = Math.min(100, Math.max(0, walk + normal));
      values[index] = name === 'cpu' ? Math.round(walk * 100) / 100 : Math.trunc(walk);
      ts += 10_000;
    } else if (name === 'constant') {
      values[index] = 42.5;
      ts += 1_000;
    } else {
      values[index] = (random() + random() / 2 ** 26) * 1000;
      ts += 1 + Math.floor(random() * 1000);
    }
    timestamps[index] = ts;
  }
  return { name, timestamps, values };
}

function encodeAll(series: Series, encoding: ChunkEncoding, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  const encoder = new ChunkEncoder(encoding);
  const { timestamps, values } = series;
  for (let index = 0; index < timestamps.length; index++) {
    const ts = timestamps[index] as number;
    const value = values[index] as number;
    if (!encoder.tryAppend(ts, value, chunkSize)) {
      chunks.push(encoder.finish());
      encoder.append(ts, value);
    }
  }
  chunks.push(encoder.finish());
  return chunks;
}

function best(repeats: number, run: () => void): number {
  let seconds = Infinity;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const start = performance.now();
    run();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return seconds;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  console.log(`chunk codec: ${args.samples} samples per series, CHUNK_SIZE ${args.chunkSize} payload bytes, best of ${args.repeats}`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cpus`);
  console.log('series    encoding      encode/s    decode/s      scan/s  B/sample  payload B/sample  samples/chunk');
  let checksum = 0;
  for (const name of ['cpu', 'cpu-tsbs', 'constant', 'random']) {
    const series = makeSeries(name, args.samples);
    for (const encoding of ['compressed', 'uncompressed'] as const) {
      let chunks: Buffer[] = [];
      const encodeSeconds = best(args.repeats, () => {
        chunks = encodeAll(series, encoding, args.chunkSize);
      });
      const countMax = Math.max(...chunks.map((chunk) => readChunkHeader(chunk).count));
      const timestamps = new Float64Array(countMax);
      const values = new Float64Array(countMax);
      let decoded = 0;
      const decodeSeconds = best(args.repeats, () => {
        decoded = 0;
        for (const chunk of chunks) decoded += decodeChunkInto(chunk, timestamps, values);
      });
      if (decoded !== args.samples) throw new Error(`decoded ${decoded} samples of ${args.samples}`);
      let sum = 0;
      const scanSeconds = best(args.repeats, () => {
        sum = sumChunks(chunks, timestamps, values);
      });
      checksum += sum;
      const bytes = chunks.reduce((total, chunk) => total + chunk.length, 0);
      const payloadBytes = bytes - chunks.length * 80;
      console.log(
        `${name.padEnd(9)} ${encoding.padEnd(12)} ${rate(args.samples / encodeSeconds)} ${rate(args.samples / decodeSeconds)} ${rate(args.samples / scanSeconds)}` +
          ` ${(bytes / args.samples).toFixed(3).padStart(9)} ${(payloadBytes / args.samples).toFixed(3).padStart(17)} ${(args.samples / chunks.length).toFixed(0).padStart(14)}`,
      );
    }
  }
  console.log(`(checksum ${checksum.toPrecision(6)})`);
}

/** decodeChunkInto and a sum of each chunk's values: the inner loop of a range aggregation. */
function sumChunks(chunks: readonly Buffer[], timestamps: Float64Array, values: Float64Array): number {
  let sum = 0;
  for (const chunk of chunks) {
    const count = decodeChunkInto(chunk, timestamps, values);
    for (let index = 0; index < count; index++) sum += values[index] as number;
  }
  return sum;
}

function rate(perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(1)}M`.padStart(11);
}

main();
