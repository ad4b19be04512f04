// test/helpers/ts-flow.ts: what the ports of RedisTimeSeries 1.12's flow tests (tests/flow/*.py)
// need to read like the originals: a client answering as redis-py's execute_command does with
// decode_responses=False (integers as numbers, bulk and simple strings alike as strings, nil as
// null, RESP3 maps as objects, doubles as numbers), its TSInfo, and one server per test file.
// Invariants:
// - `cmd` rejects with FlowError (message = the error line without '-') on an error reply, so a
//   port of `pytest.raises(redis.ResponseError)` is `await flowError(r.cmd(...))`, which also
//   returns the text for an exact comparison; `raw` returns the reply tree untouched.
// - Strings are latin1 (every byte round-trips); integers past 2^53 stay bigints.
import { RawClient, formatReply, type Reply } from './raw-client.js';
import { startServer, type StartedServer } from './server.js';

export type Py = number | bigint | string | null | boolean | Py[] | { [key: string]: Py };
export type Arg = string | number | Buffer;

export class FlowError extends Error {
  override name = 'FlowError';
}

export function toPy(reply: Reply): Py {
  switch (reply.type) {
    case 'simple': return reply.value;
    case 'error': throw new FlowError(reply.value);
    case 'integer': return Number.isSafeInteger(Number(reply.value)) ? Number(reply.value) : reply.value;
    case 'bulk': case 'verbatim': return reply.value.toString('latin1');
    case 'null-bulk': case 'null-array': case 'null': return null;
    case 'array': case 'set': case 'push': return reply.value.map(toPy);
    case 'map': return Object.fromEntries(reply.value.map(([key, value]) => [String(toPy(key)), toPy(value)]));
    case 'double': return parseResp3Double(reply.value);
    case 'boolean': return reply.value;
    case 'bignum': return BigInt(reply.value);
  }
}

function parseResp3Double(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan') return NaN;
  return Number(text);
}

function argBytes(arg: Arg): string | Buffer {
  return typeof arg === 'number' ? String(arg) : arg;
}

export class FlowClient {
  private constructor(readonly raw_: RawClient, readonly protocol: 2 | 3) {}

  static async connect(port: number, protocol: 2 | 3 = 2): Promise<FlowClient> {
    const raw = await RawClient.connect(port);
    if (protocol === 3) {
      const hello = await raw.send(['HELLO', '3']);
      if (hello.type !== 'map') throw new Error(`HELLO 3 answered ${formatReply(hello)}`);
    }
    return new FlowClient(raw, protocol);
  }

  /** The reply tree as sent. */
  raw(...args: Arg[]): Promise<Reply> {
    return this.raw_.send(args.map(argBytes));
  }

  /** The reply as redis-py's execute_command gives it; rejects with FlowError on an error reply. */
  async cmd(...args: Arg[]): Promise<Py> {
    return toPy(await this.raw(...args));
  }

  /** Several commands in one write, replies converted (errors as FlowError values, not thrown). */
  async pipeline(commands: readonly Arg[][]): Promise<(Py | FlowError)[]> {
    const replies = await this.raw_.pipeline(commands.map((command) => command.map(argBytes)));
    return replies.map((reply) => (reply.type === 'error' ? new FlowError(reply.value) : toPy(reply)));
  }

  async info(key: Arg, ...args: Arg[]): Promise<TSInfo> {
    return new TSInfo(await this.cmd('TS.INFO', key, ...args));
  }

  close(): void {
    this.raw_.close();
  }
}

/** Awaits a command that must fail; returns the error text. */
export async function flowError(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise;
    throw new Error(`expected an error reply, got ${JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item))}`);
  } catch (error) {
    if (error instanceof FlowError) return error.message;
    throw error;
  }
}

/** test_helper_classes.py's TSInfo: TS.INFO's fields by name (RESP2 flat array or RESP3 map). */
export class TSInfo {
  readonly fields: Record<string, Py>;
  constructor(reply: Py) {
    if (Array.isArray(reply)) {
      this.fields = {};
      for (let index = 0; index + 1 < reply.length; index += 2) this.fields[String(reply[index])] = reply[index + 1] as Py;
    } else {
      this.fields = reply as Record<string, Py>;
    }
  }
  get rules(): Py { return this.fields.rules ?? []; }
  get sourceKey(): Py { return this.fields.sourceKey ?? null; }
  get chunkCount(): number { return this.fields.chunkCount as number; }
  get memoryUsage(): number { return this.fields.memoryUsage as number; }
  get totalSamples(): number { return this.fields.totalSamples as number; }
  get retention(): number { return this.fields.retentionTime as number; }
  get lastTimestamp(): number { return this.fields.lastTimestamp as number; }
  get firstTimestamp(): number { return this.fields.firstTimestamp as number; }
  get chunkSize(): number { return this.fields.chunkSize as number; }
  get chunkType(): string { return this.fields.chunkType as string; }
  get duplicatePolicy(): Py { return this.fields.duplicatePolicy ?? null; }
  get ignoreMaxTimeDiff(): number { return this.fields.ignoreMaxTimeDiff as number; }
  get ignoreMaxValDiff(): Py { return this.fields.ignoreMaxValDiff ?? null; }
  get chunks(): Py[] { return (this.fields.Chunks ?? []) as Py[]; }
  /** list_to_dict(labels): RESP2 [[name, value], ...] or the RESP3 map, as an object. */
  get labels(): Record<string, Py> {
    const labels = this.fields.labels;
    if (Array.isArray(labels)) return Object.fromEntries(labels.map((pair) => [String((pair as Py[])[0]), (pair as Py[])[1] as Py]));
    return (labels ?? {}) as Record<string, Py>;
  }
}

/** One server for a test file, and clients on it that the file closes in afterAll. */
export class FlowServer {
  private readonly clients: FlowClient[] = [];
  private constructor(readonly server: StartedServer) {}

  static async start(args: string[] = []): Promise<FlowServer> {
    return new FlowServer(await startServer({ args }));
  }

  get port(): number {
    return this.server.port;
  }

  async client(protocol: 2 | 3 = 2): Promise<FlowClient> {
    const client = await FlowClient.connect(this.server.port, protocol);
    this.clients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await this.server.stop();
  }
}

/** Samples as the flow tests spell them: [[ts, 'value'], ...] from [ts, value] pairs. */
export function samples(pairs: readonly (readonly [number, number | string])[]): Py[] {
  return pairs.map(([ts, value]) => [ts, typeof value === 'number' ? String(value) : value]);
}

/** Python's range(start, stop, step). */
export function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  const out: number[] = [];
  for (let value = start; step > 0 ? value < stop : value > stop; value += step) out.push(value);
  return out;
}

/** A seeded PRNG (mulberry32), for the flow tests' random.seed(...) loops. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
