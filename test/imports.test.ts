// test/imports.test.ts: reads the import lines of src/, protocol/ and storage/ and fails on a
// forbidden edge (STYLE.md, "Layout and who imports whom"):
// - storage/ imports neither protocol/ nor src/;
// - protocol/ imports neither storage/ nor src/;
// - src/ reaches storage/ and protocol/ only through their index.ts;
// - inside src/, a folder imports only its own files and folders of a lower rank (SRC_RANKS), and
//   only main.ts lives at the top;
// - no import loop anywhere in src/, protocol/ or storage/, type-only imports included.
// Test files (*.test.ts) beside the code are held to the same rules, loops aside.
// The src/ ranks follow the path of a request (net reads it, dispatch runs it, a command's handler
// acts through its type on the keyspace, which writes to storage). Dispatch calls handlers through
// the command table, which main.ts fills from commands/index.ts, so it needs no import of
// commands/; handlers import the table's contract (CommandSpec, CommandContext, CommandError) and
// dispatch's state, so commands/ ranks just above dispatch/. cluster/ (slot map, routing, MIGRATE's
// links) is consulted by dispatch before a command runs and reads the keyspace, so it ranks between
// dispatch/ and types/. replication/ (a primary's replica links, a replica's follower) is driven by
// commands and dispatch's read-only gate, may be driven by cluster/, and reads the keyspace, so it
// ranks below cluster/. ops/ (config, metrics, logs) is read
// by every folder and reads none.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from './helpers/server.js';

type Area = 'src' | 'protocol' | 'storage';

/** src/ folders by rank: a folder may import its own files and folders of a lower rank. */
export const SRC_RANKS: Readonly<Record<string, number>> = { net: 8, commands: 7, dispatch: 6, cluster: 5, replication: 4, types: 3, keyspace: 2, ops: 1 };

function sourceFiles(dir: string): string[] {
  let found: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found = found.concat(sourceFiles(full));
    else if (name.endsWith('.ts')) found.push(full);
  }
  return found;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) specifiers.push(match[1] as string);
  }
  return specifiers;
}

export function forbiddenEdge(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const fromArea = path.relative(REPO_DIR, fromFile).split(path.sep)[0] as Area;
  const target = path.relative(REPO_DIR, path.resolve(path.dirname(fromFile), specifier));
  const [targetArea, ...rest] = target.split(path.sep);
  if (fromArea === 'src' && targetArea === 'src') return srcFolderEdge(path.relative(path.join(REPO_DIR, 'src'), fromFile), rest);
  if (targetArea === fromArea) return undefined;
  if (fromArea === 'storage' && (targetArea === 'protocol' || targetArea === 'src')) return `storage must not import ${targetArea}/`;
  if (fromArea === 'protocol' && (targetArea === 'storage' || targetArea === 'src')) return `protocol must not import ${targetArea}/`;
  if (fromArea === 'src' && (targetArea === 'storage' || targetArea === 'protocol')) {
    if (rest.join('/') !== 'index.js' && rest.join('/') !== 'index.ts') return `src may import ${targetArea}/ only through ${targetArea}/index.js`;
  }
  if (fromArea !== 'src' && targetArea === 'src') return `${fromArea} must not import src/`;
  return undefined;
}

/** Inside src/: from a file (relative to src/) to a target path (its parts under src/). */
function srcFolderEdge(fromFile: string, targetParts: string[]): string | undefined {
  const fromParts = fromFile.split(path.sep);
  if (fromParts.length === 1) return undefined; // main.ts wires everything
  const fromFolder = fromParts[0] as string;
  if (targetParts.length === 1) return `src/${fromFolder}/ must not import src/${targetParts[0]} (only main.ts lives at the top)`;
  const targetFolder = targetParts[0] as string;
  if (targetFolder === fromFolder) return undefined;
  const fromRank = SRC_RANKS[fromFolder];
  const targetRank = SRC_RANKS[targetFolder];
  if (fromRank === undefined) return `src/${fromFolder}/ is not a known folder (SRC_RANKS)`;
  if (targetRank === undefined) return `src/${targetFolder}/ is not a known folder (SRC_RANKS)`;
  if (targetRank > fromRank) return `src/${fromFolder}/ must not import src/${targetFolder}/ (a higher rank)`;
  return undefined;
}

/** The import graph of the non-test files of areas, as repo-relative paths. */
function importGraph(areas: readonly Area[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const area of areas) {
    for (const file of sourceFiles(path.join(REPO_DIR, area))) {
      if (file.endsWith('.test.ts')) continue;
      const targets: string[] = [];
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.') || !specifier.endsWith('.js')) continue;
        targets.push(path.relative(REPO_DIR, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts'));
      }
      graph.set(path.relative(REPO_DIR, file), targets);
    }
  }
  return graph;
}

/** Every import loop (a strongly connected set of two or more files, or a file importing itself). */
export function importLoops(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  let counter = 0;
  const visit = (start: string): void => {
    // iterative Tarjan: frames of (node, next child position)
    const frames: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const children = graph.get(frame.node) ?? [];
      if (frame.next < children.length) {
        const child = children[frame.next++]!;
        if (!graph.has(child)) continue;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          frames.push({ node: child, next: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) loops.push(component.sort());
      }
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return loops;
}

describe('import edges', () => {
  it('finds the rules working on made-up edges', () => {
    const file = (area: string) => path.join(REPO_DIR, area, 'x.ts');
    expect(forbiddenEdge(file('storage'), '../protocol/index.js')).toBeDefined();
    expect(forbiddenEdge(file('protocol'), '../storage/engine.js')).toBeDefined();
    expect(forbiddenEdge(file('src'), '../storage/engine.js')).toBeDefined();
    expect(forbiddenEdge(file('src'), '../storage/index.js')).toBeUndefined();
    expect(forbiddenEdge(path.join(REPO_DIR, 'src', 'commands', 'x.ts'), '../../protocol/index.js')).toBeUndefined();
    expect(forbiddenEdge(file('src'), 'node:fs')).toBeUndefined();
    expect(importSpecifiers("import { a } from './a.js';\nexport * from '../b.js';\nimport type {\n  C,\n} from \"./c.js\";")).toEqual(['./a.js', '../b.js', './c.js']);
    const inSrc = (...parts: string[]) => path.join(REPO_DIR, 'src', ...parts);
    expect(forbiddenEdge(inSrc('net', 'connection.ts'), '../dispatch/dispatch.js')).toBeUndefined();
    expect(forbiddenEdge(inSrc('commands', 'hashes.ts'), '../dispatch/errors.js')).toBeUndefined();
    expect(forbiddenEdge(inSrc('dispatch', 'dispatch.ts'), '../commands/monitor.js')).toBeDefined();
    expect(forbiddenEdge(inSrc('types', 'hash.ts'), '../commands/arguments.js')).toBeDefined();
    expect(forbiddenEdge(inSrc('keyspace', 'keyspace.ts'), '../types/hash.js')).toBeDefined();
    expect(forbiddenEdge(inSrc('ops', 'metrics.ts'), '../dispatch/server-state.js')).toBeDefined();
    expect(forbiddenEdge(inSrc('types', 'hash.ts'), '../config.js')).toBeDefined();
    expect(forbiddenEdge(inSrc('main.ts'), './net/listener.js')).toBeUndefined();
  });

  it('finds import loops, type-only imports included', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []], ['e.ts', ['e.ts']]]);
    expect(importLoops(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    expect(importLoops(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });

  it('has no import loop in src/, protocol/ or storage/', () => {
    expect(importLoops(importGraph(['src', 'protocol', 'storage']))).toEqual([]);
  });

  for (const area of ['src', 'protocol', 'storage'] as const) {
    it(`keeps ${area}/ within its allowed imports`, () => {
      const violations: string[] = [];
      for (const file of sourceFiles(path.join(REPO_DIR, area))) {
        for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
          const reason = forbiddenEdge(file, specifier);
          if (reason) violations.push(`${path.relative(REPO_DIR, file)} imports '${specifier}': ${reason}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
