// src/ops/memory-map.ts: the part of RSS that is the node executable's own pages, for INFO memory's
// tskv_rss_executable_bytes. node maps its ~100 MB binary (machine code, V8's embedded builtins
// and startup snapshot, node's own JS sources); the pages the process has touched count in RSS
// like any other, 40-45 MiB for a server after a load: most of what tskv_rss_unaccounted_bytes
// held before this part existed. They are file-backed and clean (the kernel can drop and reread
// them, and other node processes share them), but they are resident.
// Invariants:
// - Linux only: read from /proc/self/smaps (the Rss: lines of the mappings whose path is the
//   executable); 0 where that file cannot be read, so the part is never invented.
// - Reading smaps costs the kernel a walk of every mapping's pages: ~9 ms of CPU for a server
//   holding 230 MiB (measured). INFO memory reads it at most once per EXECUTABLE_READ_INTERVAL_MS
//   and otherwise reports the last figure (these pages change slowly: 30 MiB at start, 44 after
//   a load); never on the request path or a timer.
import { readFileSync, realpathSync } from 'node:fs';

const SMAPS_PATH = '/proc/self/smaps';
const MAPPING_LINE = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/;
const RSS_LINE = /^Rss:\s+(\d+) kB$/;

/** Resident bytes of the mappings of executablePath in smaps text (pure). */
export function executableResidentBytes(smaps: string, executablePath: string): number {
  let bytes = 0;
  let inExecutable = false;
  for (const line of smaps.split('\n')) {
    const mapping = MAPPING_LINE.exec(line);
    if (mapping !== null) {
      inExecutable = mapping[1] === executablePath;
      continue;
    }
    if (!inExecutable) continue;
    const rss = RSS_LINE.exec(line);
    if (rss !== null) bytes += Number(rss[1]) * 1024;
  }
  return bytes;
}

export const EXECUTABLE_READ_INTERVAL_MS = 10_000;

/** The executable's resident bytes, read from smaps at most once per EXECUTABLE_READ_INTERVAL_MS. */
export class ExecutableResidency {
  private bytesRead = 0;
  private readAtMs = -Infinity;
  private executablePath: string | undefined;

  constructor(private readonly readSmaps: () => string = () => readFileSync(SMAPS_PATH, 'latin1')) {}

  /** The last figure read, or a fresh one when it is older than the interval (0 without /proc). */
  bytes(nowMs = Date.now()): number {
    if (nowMs - this.readAtMs < EXECUTABLE_READ_INTERVAL_MS) return this.bytesRead;
    this.readAtMs = nowMs;
    try {
      this.executablePath ??= realpathSync(process.execPath); // smaps names the file, not a symlink to it
      this.bytesRead = executableResidentBytes(this.readSmaps(), this.executablePath);
    } catch {
      this.bytesRead = 0;
    }
    return this.bytesRead;
  }
}

const processResidency = new ExecutableResidency();

/** This process's resident executable bytes (0 without /proc), at most EXECUTABLE_READ_INTERVAL_MS old. */
export function readExecutableResidentBytes(): number {
  return processResidency.bytes();
}
