// storage/flush-worker-client.ts: the main thread's side of the flush worker (flush-worker.ts): a
// long-lived worker_threads thread per engine, started at the first flush, that writes, fsyncs and
// verifies a frozen memtable's level-0 table, so the flush's CPU leaves the event loop. The main
// thread copies the memtable (Memtable.exportFrozenInSteps, in slices) and takes the compaction
// filter's verdicts on its keys (in slices), opens the finished table's reader, fills
// the block cache from the blocks the worker read back, and installs it as before (lsm-files.ts).
// The worker's script: dist/flush-worker.js beside the bundle (build.mjs); from TypeScript sources
// (tests, `node --import tsx`), storage/flush-worker.ts through tsx's require hook.
// Invariants:
// - At most one request in flight (the engine's one flush); the thread keeps the process alive
//   only while a request is in flight (ref), and close() ends it.
// - A worker's error reply, crash or exit rejects the request in flight with FlushWorkerError,
//   which the caller turns into an engine failure as any flush error; the next request starts a
//   new thread.
// - Only for the real file system: a test's CrashableFileSystem lives on the main thread, so the
//   engine flushes in-process there (every crash test runs that path).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { FlushWorkerError } from './errors.js';
import { filterVerdicts, flushCacheRoomBytes, type FlushInput, type FlushOutput } from './flush.js';
import { FLUSH_WORKER_DATA, type FlushReply, type FlushRequest } from './flush-worker.js';
import type { FileMeta } from './manifest.js';
import type { FrozenMemtable } from './memtable.js';
import type { EngineLogger } from './recovery.js';
import { SstableReader } from './sstable-reader.js';

/** Bytes of the memtable's copy made between two looks at the clock (~0.1 ms). */
const EXPORT_STEP_BYTES = 256 * 1024;
/** Blocks put into the cache between two looks at the clock. */
const CACHE_BLOCKS_PER_STEP = 64;

export interface FlushWorkerStats {
  workerFlushes: number;
  workerStarts: number;
  workerExportMs: number; // main thread: copying memtables for the worker, all flushes
  workerFilterMs: number; // main thread: the compaction filter's verdicts for the worker (with its yields), all flushes
}

export class FlushWorker {
  private worker: Worker | undefined;
  private inFlight: { id: number; resolve: (reply: FlushReply) => void; reject: (error: Error) => void } | undefined;
  private nextId = 1;
  private closed = false;
  private readonly counters: FlushWorkerStats = { workerFlushes: 0, workerStarts: 0, workerExportMs: 0, workerFilterMs: 0 };
  /** Tests: the next request makes the thread exit instead of answering. */
  exitOnNextRequest = false;

  constructor(private readonly logger: EngineLogger) {}

  /** flushMemtable()'s contract (flush.ts); the compaction filter runs here first (flush-worker.ts's header). */
  async flush(input: FlushInput): Promise<FlushOutput | undefined> {
    if (input.memtable.entryCount() === 0) return undefined;
    const frozen = await this.exportInSlices(input);
    const cacheRoomBytes = input.fillCache ? Math.floor(flushCacheRoomBytes(input.cache)) : 0;
    const { dir, path, fileNumber, tableOptions } = input;
    const request: FlushRequest = { id: this.nextId++, dir, path, fileNumber, frozen, snapshotSeqs: [...input.snapshotSeqs], tableOptions: { ...tableOptions }, cacheRoomBytes };
    if (input.compactionFilter !== undefined) {
      const startMs = performance.now();
      request.droppedNodes = await filterVerdicts(input.memtable, input.compactionFilter, input.sliceMs);
      this.counters.workerFilterMs += performance.now() - startMs;
    }
    if (this.exitOnNextRequest) request.exitForTest = true;
    this.exitOnNextRequest = false;
    const reply = await this.send(request);
    if ('error' in reply) {
      const remote = reply.error;
      throw new FlushWorkerError(`${remote.name}${remote.code === undefined ? '' : ` (${remote.code})`}: ${remote.message}`, { cause: remote });
    }
    this.counters.workerFlushes++;
    if (reply.built === undefined) return undefined;
    const built = { ...reply.built, smallestKey: asBuffer(reply.built.smallestKey), largestKey: asBuffer(reply.built.largestKey) };
    const reader = SstableReader.open(input.fs, path, fileNumber, input.cache);
    try {
      // the worker read every block back and checked it; the newest writes go to the cache as
      // the in-process flush's verification puts them there
      if (reply.blocks !== undefined) await cacheBlocks(reader, Buffer.from(reply.blocks), input.sliceMs);
    } catch (error) {
      reader.discard();
      throw error;
    }
    const meta: FileMeta = { number: fileNumber, level: 0, ...built };
    return { meta, reader, entriesDropped: reply.entriesDropped };
  }

  /** The memtable's copy for the worker, EXPORT_STEP_BYTES at a time, yielding every sliceMs. */
  private async exportInSlices(input: FlushInput): Promise<FrozenMemtable> {
    const { frozen, copy } = input.memtable.exportFrozenInSteps();
    let sliceStartMs = performance.now();
    for (;;) {
      const stepStartMs = performance.now();
      const finished = copy(EXPORT_STEP_BYTES);
      this.counters.workerExportMs += performance.now() - stepStartMs;
      if (finished) return frozen;
      if (performance.now() - sliceStartMs >= input.sliceMs) {
        await yieldToEventLoop();
        sliceStartMs = performance.now();
      }
    }
  }

  stats(): FlushWorkerStats {
    return { ...this.counters };
  }

  /** Ends the thread (after the engine's last flush); later flushes throw. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  private send(request: FlushRequest): Promise<FlushReply> {
    assert.ok(this.inFlight === undefined, 'FlushWorker: a second request while one is in flight');
    if (this.closed) return Promise.reject(new FlushWorkerError('the flush worker is closed'));
    const worker = this.worker ?? this.start();
    return new Promise((resolve, reject) => {
      this.inFlight = { id: request.id, resolve, reject };
      worker.ref(); // an engine awaiting its flush keeps the process alive
      worker.postMessage(request); // the SharedArrayBuffer is shared, not copied
    });
  }

  private start(): Worker {
    const worker = spawnFlushWorker();
    this.worker = worker;
    this.counters.workerStarts++;
    worker.unref();
    worker.on('message', (reply: FlushReply) => {
      const inFlight = this.inFlight;
      if (inFlight === undefined || inFlight.id !== reply.id) return; // an answer nobody waits for
      this.settle(worker);
      inFlight.resolve(reply);
    });
    worker.on('error', (error) => this.lose(worker, new FlushWorkerError('the flush worker crashed', { cause: error })));
    worker.on('exit', (code) => this.lose(worker, new FlushWorkerError(`the flush worker exited (code ${code})`)));
    this.logger('info', 'flush worker started', { threadId: worker.threadId });
    return worker;
  }

  private settle(worker: Worker): void {
    this.inFlight = undefined;
    worker.unref();
  }

  /** The thread is gone: the request in flight fails; the next one starts a new thread. */
  private lose(worker: Worker, error: FlushWorkerError): void {
    if (this.worker === worker) this.worker = undefined;
    const inFlight = this.inFlight;
    if (inFlight === undefined) return;
    this.settle(worker);
    inFlight.reject(error);
  }
}

/** Puts every data block of reader's table, given as the file's bytes, into the cache (copies). */
async function cacheBlocks(reader: SstableReader, bytes: Buffer, sliceMs: number): Promise<void> {
  const handles = reader.indexHandles;
  let sliceStartMs = performance.now();
  for (let index = 0; index < handles.length; index++) {
    const handle = handles[index]!;
    if (handle.offset + handle.size > bytes.length) throw new FlushWorkerError(`the worker sent ${bytes.length} bytes, block ${index} ends at ${handle.offset + handle.size}`);
    reader.cacheBlock(index, bytes.subarray(handle.offset, handle.offset + handle.size));
    if (index % CACHE_BLOCKS_PER_STEP === CACHE_BLOCKS_PER_STEP - 1 && performance.now() - sliceStartMs >= sliceMs) {
      await yieldToEventLoop();
      sliceStartMs = performance.now();
    }
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // structured clone made it a Uint8Array
}

/**
 * The worker thread: dist/flush-worker.js next to this bundle, or from TypeScript sources,
 * flush-worker.ts loaded through tsx's require hook (its ESM hooks do not reach workers on Node 20).
 */
function spawnFlushWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./flush-worker.js', here), { workerData: FLUSH_WORKER_DATA });
  const tsxHook = createRequire(here).resolve('tsx/cjs');
  const script = fileURLToPath(new URL('./flush-worker.ts', here));
  const code = `require(${JSON.stringify(tsxHook)}); require(${JSON.stringify(script)});`;
  return new Worker(code, { eval: true, workerData: FLUSH_WORKER_DATA });
}
