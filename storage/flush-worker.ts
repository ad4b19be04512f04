// storage/flush-worker.ts: the flush worker's side (a worker_threads thread; flush-worker-client.ts
// starts it). It receives a frozen memtable's copy (Memtable.exportFrozen: one SharedArrayBuffer,
// nothing replayed from the WAL), writes it as a level-0 table with flush.ts's writeTable, reads
// it back and verifies it (flush.ts's verifyTable) and fsyncs the directory, all on the real disk
// (RealFileSystem), and answers with what the writer built and, when asked, the table's data
// blocks (one transferred ArrayBuffer) for the main thread's block cache.
// Invariants:
// - Invariant 8 as in flush.ts: written, fsynced, closed, reopened, every block verified, and the
//   directory entry fsynced, before the reply; the main thread names the table only after it.
// - The compaction filter reads engine state on the main thread, so it runs there, over the frozen
//   memtable's keys before the request (flush.ts's filterVerdicts); the worker drops the keys it
//   condemned. A verdict depends on the key alone and a dropped key is never read again, so the
//   table's bytes are those of an in-process flushMemtable whose filter gave the same verdicts.
// - One request at a time (the engine flushes one memtable at a time); a request's failure is a
//   reply with the error, never a dead thread. The thread holds nothing between requests: a full
//   GC after each one lets its garbage go (an idle isolate never collects on its own).
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { BlockCache } from './block-cache.js';
import { RealFileSystem } from './file-system.js';
import { verifyTable, writeTable, type TableOptions } from './flush.js';
import { Memtable, type FrozenMemtable } from './memtable.js';
import { SstableReader } from './sstable-reader.js';
import type { SstableBuildResult } from './sstable-writer.js';

/** workerData of a flush worker: marks the thread (a module imported in a test's thread serves nothing). */
export const FLUSH_WORKER_DATA = { tskvFlushWorker: 1 } as const;

export interface FlushRequest {
  id: number;
  dir: string;
  path: string;
  fileNumber: number;
  frozen: FrozenMemtable;
  snapshotSeqs: number[]; // open snapshots, ascending
  tableOptions: TableOptions;
  /** The compaction filter's verdicts by memtable node (flush.ts's filterVerdicts); none: every key kept. */
  droppedNodes?: Uint8Array;
  /** The reply carries the data blocks when the table is at most this many bytes (0: never). */
  cacheRoomBytes: number;
  /** Tests: the thread exits (code 7) instead of answering, as a crashed worker would. */
  exitForTest?: boolean;
}

export interface RemoteError {
  name: string;
  message: string;
  code: string | undefined;
  stack: string | undefined;
}

export type FlushReply =
  | { id: number; built: SstableBuildResult | undefined; entriesDropped: number; blocks: ArrayBuffer | undefined }
  | { id: number; error: RemoteError };

/** One request's work (the thread's loop calls it; tests may call it in-process). */
export async function flushFrozen(request: FlushRequest): Promise<FlushReply> {
  const fs = new RealFileSystem();
  const { id, path } = request;
  const memtable = Memtable.importFrozen(request.frozen);
  const written = await writeTable({ fs, path, memtable, snapshotSeqs: request.snapshotSeqs, tableOptions: request.tableOptions, sliceMs: Infinity, droppedNodes: request.droppedNodes });
  if (written === undefined) return { id, built: undefined, entriesDropped: 0, blocks: undefined };
  const { built, entriesDropped } = written;
  const reader = SstableReader.open(fs, path, request.fileNumber, new BlockCache(0));
  let blocks: Uint8Array<ArrayBuffer> | undefined;
  try {
    const onSpan = built.sizeBytes <= request.cacheRoomBytes ? (offset: number, span: Buffer) => {
      blocks ??= new Uint8Array(built.sizeBytes); // the data blocks come first; the rest stays zero
      blocks.set(span, offset);
    } : undefined;
    await verifyTable({ fs, path, sliceMs: Infinity, ...(onSpan === undefined ? {} : { onSpan }) }, reader, built);
  } finally {
    reader.close();
  }
  fs.syncDir(request.dir); // invariant 8: its directory entry durable too
  return { id, built, entriesDropped, blocks: blocks?.buffer };
}

export function remoteError(error: unknown): RemoteError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: undefined, stack: undefined };
  const code = 'code' in error ? String(error.code) : undefined;
  return { name: error.name, message: error.message, code, stack: error.stack };
}

/**
 * --expose-gc's gc() without the flag on the command line (as ops/memory-budget.ts does). The
 * thread idles between flushes, and an idle isolate collects nothing: without this, each flush's
 * garbage (the memtable's shared copy, the read-back spans, the writer's buffers: ~2x the
 * memtable) stayed resident until the next flush (+98 MiB RSS after 1M SETs).
 */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
}

function serve(): void {
  const port = parentPort;
  if (port === null) return;
  port.on('message', (request: FlushRequest) => {
    if (request.exitForTest === true) process.exit(7);
    flushFrozen(request)
      .then(
        (reply) => port.postMessage(reply, 'blocks' in reply && reply.blocks !== undefined ? [reply.blocks] : []),
        (error: unknown) => port.postMessage({ id: request.id, error: remoteError(error) } satisfies FlushReply),
      )
      .finally(() => setImmediate(collectGarbage)); // after the request's last reference is gone
  });
}

if ((workerData as Partial<typeof FLUSH_WORKER_DATA> | undefined)?.tskvFlushWorker === FLUSH_WORKER_DATA.tskvFlushWorker) serve();
