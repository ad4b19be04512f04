// src/keyspace/garbage.ts: what the keyspace lets flush and compaction drop (the engine's
// compactionFilter): everything of a namespace FLUSHDB / FLUSHALL dropped, and every element of an
// aggregate version that is no longer live (DEL, overwrite, expiry, last element removed).
// An element [ELEMENT_NAMESPACE][version]... (or a 'vidx' index entry ending in [version]) is
// garbage when its version has no 'ver' entry, or only one of a dead namespace (layout.ts); the
// 'ver' entries are read from the engine, synchronously, on the event loop between two slices of
// the job, so never in the middle of a command.
// Invariants:
// - A verdict depends on the key alone (and on what is live), never on the value: the engine drops
//   a filtered version of a key without hiding the older versions of that key in tables the job
//   does not read, so every version of a key must be garbage together. ('ver' entries name their
//   namespace in the key for this: when MOVE rewrote one in place, dropping the newer one of a
//   flushed database brought back the older one, naming the source, and its elements stayed.)
// - Only drops the engine has made durable count: a namespace or a version whose killing write
//   has a sequence number above engine.durableSequence() is kept (its killing write could still
//   be lost by a crash of the machine, and the data would have to be there again). What recovery
//   found at open is durable (the engine syncs the WALs it replays).
// - Nothing dropped is ever read again: a dead namespace is never mapped to a database again (ids
//   are never reused), and a dead version is never a key's version again (nor is the namespace a
//   'ver' entry names ever live again). Readers with an open snapshot read the files and
//   memtables they pinned, never a job's output.
// - Until attach(engine) (flushes during the engine's own open), elements are all kept.
// Generations (registerGenerations; a time series' raw samples): an element of a live version
// whose kind is registered as generational, [ELEMENT_NAMESPACE][version][kind][generation u32]...,
// is garbage once its version's generation element ([ELEMENT_NAMESPACE][version][its generation
// kind] -> u32) durably holds a higher generation. The type writing them keeps that every element
// of a generation is written before the generation moves past it and never after, that the
// generation never goes down, and that it reads only the elements of the current one. A
// generation element whose newest write is not durable yet (its sequence number above
// engine.durableSequence(); the engine's getEntry returns the Entry, seq included) keeps every
// element of its version, as a pending death does.
import type { Engine } from '../../storage/index.js';
import {
  DEAD_PREFIX, ELEMENT_NAMESPACE, NAMESPACE_BYTES, TTL_NAMESPACE_OFFSET, TTL_PREFIX, VERSION_BYTES, VERSION_INDEX_PREFIX,
  VERSION_MARK_NAMESPACE_OFFSET, VERSION_MARK_PREFIX, elementPrefix, elementVersionOf, readU64BE, versionMarkKey, versionMarksStart,
} from './layout.js';

/** Deaths (namespaces and versions) awaiting durability, at most; past it they are simply kept. */
export const PENDING_DEATHS_MAX = 1_000_000;
/** 'ver' entries read per version: one live at most, plus ones of dead namespaces not yet compacted. */
const MARKS_READ_MAX = 4;
const KIND_OFFSET = NAMESPACE_BYTES + VERSION_BYTES;
const GENERATION_BYTES = 4;

/** Generational element kind -> the kind of the element holding its version's generation. */
const generationKinds = new Map<number, number>();

/** Elements of kind carry a generation (see the header), the current one held by the element of generationKind. */
export function registerGenerations(kind: number, generationKind: number): void {
  generationKinds.set(kind, generationKind);
}

export class KeyspaceGarbage {
  private readonly deadNamespaces = new Set<number>();
  private readonly pendingNamespaces = new Map<number, number>(); // namespace -> seq of its drop
  private readonly pendingVersions = new Map<number, number>(); // version -> seq of its death
  private engine: Engine | undefined = undefined;
  private deaths = 0; // bumps with every noted death: invalidates the cached verdict
  /** The last verdict; it holds while no death was noted and none became durable (a pending one kept it live). */
  private cached = { version: -1, live: true, deaths: -1, durable: -1 };
  private likelyNamespace = 1; // the namespace of the last live 'ver' entry read (db 0's at first)
  /** The last generation verdict: elements of (version, kind, generation) are garbage or kept (while durable is as it was). */
  private generationCached = { version: -1, kind: -1, generation: -1, garbage: false, durable: -1 };

  attach(engine: Engine): void {
    this.engine = engine;
  }

  /** A namespace dropped durably before this process started (read from its 'dead' entries). */
  addDeadNamespace(namespace: number): void {
    this.deadNamespaces.add(namespace);
  }

  /** FLUSHDB / FLUSHALL dropped namespace in the write with sequence number seq. */
  noteDeadNamespace(namespace: number, seq: number): void {
    if (this.pendingNamespaces.size >= PENDING_DEATHS_MAX) return; // kept; found dead at the next open
    this.pendingNamespaces.set(namespace, seq);
    this.deaths++;
  }

  /** An aggregate's version stopped being live in the write with sequence number seq. */
  noteDeadVersion(version: number, seq: number): void {
    if (this.pendingVersions.size >= PENDING_DEATHS_MAX) this.settle();
    this.pendingVersions.set(version, seq);
    this.deaths++;
  }

  isDeadNamespace(namespace: number): boolean {
    this.settle();
    return this.deadNamespaces.has(namespace);
  }

  /** Namespaces whose drop is durable (compaction may reclaim them). */
  get deadNamespaceCount(): number {
    this.settle();
    return this.deadNamespaces.size;
  }

  readonly filter = (key: Buffer): boolean => {
    if (key.length < NAMESPACE_BYTES) return false;
    const namespace = key.readUInt32BE(0);
    if (namespace === ELEMENT_NAMESPACE) {
      const version = elementVersionOf(key);
      return !this.isLiveVersion(version) || (generationKinds.size > 0 && this.isPastGeneration(key, version));
    }
    if (namespace !== 0) return this.isDeadNamespace(namespace);
    if (startsWith(key, TTL_PREFIX)) return key.length >= TTL_NAMESPACE_OFFSET + NAMESPACE_BYTES && this.isDeadNamespace(key.readUInt32BE(TTL_NAMESPACE_OFFSET));
    if (startsWith(key, VERSION_MARK_PREFIX)) return key.length >= VERSION_MARK_NAMESPACE_OFFSET + NAMESPACE_BYTES && this.isDeadNamespace(key.readUInt32BE(VERSION_MARK_NAMESPACE_OFFSET));
    if (startsWith(key, VERSION_INDEX_PREFIX) && key.length >= VERSION_INDEX_PREFIX.length + VERSION_BYTES) {
      return !this.isLiveVersion(readU64BE(key, key.length - VERSION_BYTES));
    }
    return false;
  };

  /** Live unless its 'ver' entries are durably gone, or all name dead namespaces. */
  private isLiveVersion(version: number): boolean {
    const engine = this.engine;
    if (engine === undefined) return true;
    const cached = this.cached;
    const durable = engine.durableSequence();
    if (cached.version === version && cached.deaths === this.deaths && cached.durable === durable) return cached.live;
    const pendingSeq = this.pendingVersions.get(version);
    let live: boolean;
    if (pendingSeq !== undefined && pendingSeq > durable) {
      live = true;
    } else {
      if (pendingSeq !== undefined) this.pendingVersions.delete(version);
      live = this.hasLiveMark(engine, version);
    }
    this.cached = { version, live, deaths: this.deaths, durable };
    return live;
  }

  /**
   * Whether key, an element of a live version, is of a generational kind and of a generation below
   * its version's durable one. A garbage verdict holds for good (generations only grow), a kept
   * one while durableSequence stays (keys come sorted: one read per version and generation).
   */
  private isPastGeneration(key: Buffer, version: number): boolean {
    if (key.length < KIND_OFFSET + 1 + GENERATION_BYTES) return false;
    const kind = key[KIND_OFFSET]!;
    const generationKind = generationKinds.get(kind);
    const engine = this.engine;
    if (generationKind === undefined || engine === undefined) return false;
    const generation = key.readUInt32BE(KIND_OFFSET + 1);
    const durable = engine.durableSequence();
    const cached = this.generationCached;
    if (cached.version === version && cached.kind === kind && cached.generation === generation && (cached.garbage || cached.durable === durable)) return cached.garbage;
    const entry = engine.getEntry(elementPrefix(version, generationKind));
    const seq = entry !== undefined && 'seq' in entry ? entry.seq : undefined;
    const garbage = entry !== undefined && typeof seq === 'number' && seq <= durable && entry.value.length === GENERATION_BYTES && entry.value.readUInt32BE(0) > generation;
    this.generationCached = { version, kind, generation, garbage, durable };
    return garbage;
  }

  /**
   * Whether a 'ver' entry of version names a namespace not dead: a point read in the namespace
   * the last live one named (most aggregates share a database), else a read of all of them.
   */
  private hasLiveMark(engine: Engine, version: number): boolean {
    const likely = this.likelyNamespace;
    if (engine.get(versionMarkKey(version, likely)) !== undefined && !this.isDeadNamespace(likely)) return true;
    const marks = engine.scanPage({ start: versionMarksStart(version), end: versionMarksStart(version + 1) }, MARKS_READ_MAX);
    for (const mark of marks.items) {
      if (mark.key.length !== VERSION_MARK_NAMESPACE_OFFSET + NAMESPACE_BYTES) return true; // not ours to judge: kept
      const namespace = mark.key.readUInt32BE(VERSION_MARK_NAMESPACE_OFFSET);
      if (this.isDeadNamespace(namespace)) continue;
      this.likelyNamespace = namespace;
      return true;
    }
    return marks.more;
  }

  /** Moves durable namespace drops into the dead set; forgets durable version deaths. */
  private settle(): void {
    const engine = this.engine;
    if (engine === undefined) return;
    const durable = engine.durableSequence();
    if (this.pendingNamespaces.size > 0) {
      for (const [namespace, seq] of this.pendingNamespaces) {
        if (seq > durable) continue;
        this.pendingNamespaces.delete(namespace);
        this.deadNamespaces.add(namespace);
      }
    }
    if (this.pendingVersions.size >= PENDING_DEATHS_MAX) {
      for (const [version, seq] of this.pendingVersions) if (seq <= durable) this.pendingVersions.delete(version);
    }
  }
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** The namespace of a 'dead' entry's key. */
export function deadNamespaceOf(key: Buffer): number {
  return key.readUInt32BE(DEAD_PREFIX.length);
}
