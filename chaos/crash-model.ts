// chaos/crash-model.ts: the persistence model for crash-state enumeration (ALICE, OSDI 2014).
// It replays a file-system op log (CrashableFileSystem.recordedOps()) one op at a time and, at any
// point, lists the crash states the model allows there:
//   file content     = its content at the last sync, plus some of the appends since:
//                      a prefix of them in full, then optionally the next one cut short (half, or
//                      one byte) or the rest zero-filled (size persisted, data not). A file
//                      rewritten in place since its sync (create over it, writeAll, truncate below
//                      the synced size) is either the old synced content or the new one (whole,
//                      cut at half, or zero-filled).
//   directory        = its entries at its last syncDir, plus any subset (applied in their original
//                      order) of the create / rename / remove operations since.
//   directories made by mkdirp are durable at once (as in CrashableFileSystem).
// The ops between two fsyncs thus persist in any subset, per file and per directory entry.
// Enumeration is exhaustive while the product of choices is at most EXHAUSTIVE_STATES_MAX; past
// that it takes every "one unit differs" state from both the all-absent and the all-persisted
// baselines, plus SAMPLED_STATES seeded random combinations.
// Invariant: the replayed live state equals the recording file system's (checked by the caller).
import assert from 'node:assert/strict';
import type { RecordedOp } from '../storage/crashable-file-system.js';
import { createRng, type Rng } from './history.js';

export const EXHAUSTIVE_STATES_MAX = 64;
export const SAMPLED_STATES = 12;

interface InodeState {
  live: Buffer;
  durable: Buffer;
  diverged: boolean; // live is not durable + appends (rewritten in place since the last sync)
  pendingAppends: { offset: number; length: number }[];
}

type DirOp =
  | { kind: 'link'; name: string; inode: number }
  | { kind: 'unlink'; name: string }
  | { kind: 'rename'; source: string; target: string; inode: number };

interface DirState {
  live: Map<string, number>;
  durable: Map<string, number>;
  pending: DirOp[];
}

interface Variant {
  label: string;
  content: Buffer;
}

/** One choice of the crash state: a directory op persisted or not, or a file content variant. */
interface Unit {
  label: string;
  variants: number;
}

export interface CrashState {
  files: Map<string, Buffer>; // full path -> content
  dirs: string[];
  label: string; // what was kept, cut or dropped, for failure messages
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
function applyDirOp(entries: Map<string, number>, op: DirOp): void {
  if (op.kind === 'link') entries.set(op.name, op.inode);
  else if (op.kind === 'unlink') entries.delete(op.name);
  else {
    entries.delete(op.source);
    entries.set(op.target, op.inode);
  }
}

export class CrashModel {
  private readonly inodes = new Map<number, InodeState>();
  private readonly dirs = new Map<string, DirState>();
  opsApplied = 0;

  constructor() {
    this.dirs.set('/', { live: new Map(), durable: new Map(), pending: [] });
  }

  apply(op: RecordedOp): void {
    this.opsApplied++;
    switch (op.kind) {
      case 'mkdirp': {
        let path = op.path;
        while (!this.dirs.has(path)) {
          this.dirs.set(path, { live: new Map(), durable: new Map(), pending: [] });
          path = dirOf(path);
        }
        return;
      }
      case 'create':
      case 'writeAll': {
        const inode = this.link(op.path, op.inode, op.existed);
        this.rewrite(inode, op.kind === 'writeAll' ? op.bytes : Buffer.alloc(0));
        return;
      }
      case 'append': {
        const inode = this.inode(op.inode);
        assert.equal(op.offset, inode.live.length, `append to inode ${op.inode} at ${op.offset}, live size ${inode.live.length}`);
        inode.live = Buffer.concat([inode.live, op.bytes]);
        if (!inode.diverged) inode.pendingAppends.push({ offset: op.offset, length: op.bytes.length });
        return;
      }
      case 'truncate': {
        const inode = this.inode(op.inode);
        const live = Buffer.alloc(op.size);
        inode.live.copy(live, 0, 0, Math.min(op.size, inode.live.length));
        inode.live = live;
        if (op.size < inode.durable.length) this.diverge(inode);
        else inode.pendingAppends = trimAppends(inode.pendingAppends, 0, op.size);
        return;
      }
      case 'sync': {
        const inode = this.inode(op.inode);
        inode.durable = Buffer.from(inode.live.subarray(0, op.size));
        inode.diverged = false;
        inode.pendingAppends = trimAppends(inode.pendingAppends, op.size, inode.live.length);
        return;
      }
      case 'rename': {
        const dir = this.dir(dirOf(op.path));
        assert.equal(dirOf(op.target), dirOf(op.path), 'renames across directories are not modelled');
        const renameOp: DirOp = { kind: 'rename', source: baseOf(op.path), target: baseOf(op.target), inode: op.inode };
        applyDirOp(dir.live, renameOp);
        dir.pending.push(renameOp);
        return;
      }
      case 'remove': {
        if (op.inode === undefined) {
          this.dirs.delete(op.path);
          return;
        }
        const dir = this.dir(dirOf(op.path));
        const unlink: DirOp = { kind: 'unlink', name: baseOf(op.path) };
        applyDirOp(dir.live, unlink);
        dir.pending.push(unlink);
        return;
      }
      case 'syncDir': {
        const dir = this.dir(op.path);
        dir.durable = new Map(dir.live);
        dir.pending = [];
        return;
      }
    }
  }

  /** The live files (what the recording file system holds now), to check the replay. */
  liveFiles(): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    for (const [dirPath, dir] of this.dirs) {
      for (const [name, id] of dir.live) files.set(joinPath(dirPath, name), this.inode(id).live);
    }
    return files;
  }

  /** Every crash state the model allows at this point (bounded, see the file header). */
  crashStates(seed: number): CrashState[] {
    const dirOps: { dir: string; op: DirOp }[] = [];
    for (const [dirPath, dir] of this.dirs) for (const op of dir.pending) dirOps.push({ dir: dirPath, op });
    const variants = new Map<number, Variant[]>();
    for (const id of this.inodes.keys()) variants.set(id, this.contentVariants(id));
    const inodeIds = [...this.inodes.keys()].filter((id) => variants.get(id)!.length > 1);
    const units: Unit[] = [
      ...dirOps.map(({ dir, op }) => ({ label: `${dir}:${describeDirOp(op)}`, variants: 2 })),
      ...inodeIds.map((id) => ({ label: `inode ${id}`, variants: variants.get(id)!.length })),
    ];
    const choices = enumerateChoices(units, createRng(seed));
    return choices.map((choice) => this.materialize(choice, dirOps, inodeIds, units, variants));
  }

  private materialize(choice: number[], dirOps: { dir: string; op: DirOp }[], inodeIds: number[], units: Unit[], variants: Map<number, Variant[]>): CrashState {
    const entries = new Map<string, Map<string, number>>();
    for (const [dirPath, dir] of this.dirs) entries.set(dirPath, new Map(dir.durable));
    dirOps.forEach(({ dir, op }, index) => {
      if (choice[index] === 1) applyDirOp(entries.get(dir)!, op);
    });
    const variantOf = new Map<number, number>();
    inodeIds.forEach((id, index) => variantOf.set(id, choice[dirOps.length + index]!));
    const files = new Map<string, Buffer>();
    for (const [dirPath, names] of entries) {
      for (const [name, id] of names) {
        files.set(joinPath(dirPath, name), variants.get(id)![variantOf.get(id) ?? 0]!.content);
      }
    }
    const label = units
      .map((unit, index) => {
        const picked = choice[index]!;
        if (index < dirOps.length) return picked === 1 ? `+${unit.label}` : `-${unit.label}`;
        return `${unit.label}=${variants.get(inodeIds[index - dirOps.length]!)![picked]!.label}`;
      })
      .join(' ');
    return { files, dirs: [...this.dirs.keys()], label: label === '' ? 'durable state, nothing pending' : label };
  }

  /** Variant 0 is always the durable content; the last one the live content. */
  private contentVariants(id: number): Variant[] {
    const inode = this.inode(id);
    if (inode.diverged) {
      const live = inode.live;
      const variants = [{ label: 'old synced content', content: inode.durable }];
      if (live.length >= 2) variants.push({ label: 'rewrite cut at half', content: live.subarray(0, live.length >> 1) });
      if (live.length >= 1) variants.push({ label: 'rewrite zero-filled', content: Buffer.alloc(live.length) });
      variants.push({ label: 'rewritten content', content: live });
      return variants;
    }
    const appends = inode.pendingAppends;
    const base = inode.durable.length;
    if (appends.length === 0 && inode.live.length === base) return [{ label: 'synced', content: inode.durable }];
    const live = inode.live;
    const variants = [{ label: `synced ${base} bytes`, content: inode.durable }];
    appends.forEach((append, index) => {
      if (append.length >= 2) {
        variants.push({ label: `${index} appends + next cut at half`, content: live.subarray(0, append.offset + (append.length >> 1)) });
      }
      if (append.length >= 3) variants.push({ label: `${index} appends + next cut to 1 byte`, content: live.subarray(0, append.offset + 1) });
      variants.push({
        label: `${index} appends + rest zero-filled`,
        content: Buffer.concat([live.subarray(0, append.offset), Buffer.alloc(live.length - append.offset)]),
      });
      if (index + 1 < appends.length) variants.push({ label: `${index + 1} appends`, content: live.subarray(0, append.offset + append.length) });
    });
    variants.push({ label: `all ${appends.length} appends`, content: live });
    return variants;
  }

  private link(path: string, id: number, existed: boolean): InodeState {
    const dir = this.dir(dirOf(path));
    if (existed) {
      assert.equal(dir.live.get(baseOf(path)), id, `${path} existed as another inode`);
      return this.inode(id);
    }
    const inode: InodeState = { live: Buffer.alloc(0), durable: Buffer.alloc(0), diverged: false, pendingAppends: [] };
    this.inodes.set(id, inode);
    const op: DirOp = { kind: 'link', name: baseOf(path), inode: id };
    applyDirOp(dir.live, op);
    dir.pending.push(op);
    return inode;
  }

  private rewrite(inode: InodeState, bytes: Buffer): void {
    if (inode.durable.length > 0) this.diverge(inode);
    else inode.pendingAppends = [];
    inode.live = Buffer.from(bytes);
    if (!inode.diverged && bytes.length > 0) inode.pendingAppends.push({ offset: 0, length: bytes.length });
  }

  private diverge(inode: InodeState): void {
    inode.diverged = true;
    inode.pendingAppends = [];
  }

  private inode(id: number): InodeState {
    const inode = this.inodes.get(id);
    assert.ok(inode !== undefined, `unknown inode ${id}`);
    return inode;
  }

  private dir(path: string): DirState {
    const dir = this.dirs.get(path);
    assert.ok(dir !== undefined, `unknown directory ${path}`);
    return dir;
  }
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function describeDirOp(op: DirOp): string {
  if (op.kind === 'link') return `create ${op.name}`;
  if (op.kind === 'unlink') return `remove ${op.name}`;
  return `rename ${op.source}->${op.target}`;
}

function trimAppends(appends: { offset: number; length: number }[], start: number, end: number): { offset: number; length: number }[] {
  return appends
    .map((append) => {
      const head = Math.max(append.offset, start);
      const tail = Math.min(append.offset + append.length, end);
      return { offset: head, length: tail - head };
    })
    .filter((append) => append.length > 0);
}

/**
 * The choice vectors to try: all of them when few, else both baselines (all unit at variant 0, all
 * at their last variant), every single-unit deviation from each, and some random ones.
 */
export function enumerateChoices(units: readonly Unit[], rng: Rng): number[][] {
  let product = 1;
  for (const unit of units) {
    product *= unit.variants;
    if (product > EXHAUSTIVE_STATES_MAX) break;
  }
  if (product <= EXHAUSTIVE_STATES_MAX) {
    const all: number[][] = [[]];
    for (const unit of units) {
      const next: number[][] = [];
      for (const prefix of all) for (let variant = 0; variant < unit.variants; variant++) next.push([...prefix, variant]);
      all.splice(0, all.length, ...next);
    }
    return all;
  }
  const low = units.map(() => 0);
  const high = units.map((unit) => unit.variants - 1);
  const seen = new Set<string>();
  const out: number[][] = [];
  const add = (choice: number[]) => {
    const key = choice.join(',');
    if (seen.has(key)) return;
    seen.add(key);
    out.push(choice);
  };
  add(low);
  add(high);
  for (const baseline of [low, high]) {
    units.forEach((unit, index) => {
      for (let variant = 0; variant < unit.variants; variant++) {
        const choice = [...baseline];
        choice[index] = variant;
        add(choice);
      }
    });
  }
  for (let sample = 0; sample < SAMPLED_STATES; sample++) add(units.map((unit) => Math.floor(rng() * unit.variants)));
  return out;
}
