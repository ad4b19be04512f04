// test/imports.test.ts: reads the import lines of src/, protocol/ and storage/ and fails on a
// forbidden edge (STYLE.md, "Layout and who imports whom"):
// - storage/ imports neither protocol/ nor src/;
// - protocol/ imports neither storage/ nor src/;
// - src/ reaches storage/ and protocol/ only through their index.ts.
// Test files (*.test.ts) beside the code are held to the same rules.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from './helpers/server.js';

type Area = 'src' | 'protocol' | 'storage';

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
  if (targetArea === fromArea) return undefined;
  if (fromArea === 'storage' && (targetArea === 'protocol' || targetArea === 'src')) return `storage must not import ${targetArea}/`;
  if (fromArea === 'protocol' && (targetArea === 'storage' || targetArea === 'src')) return `protocol must not import ${targetArea}/`;
  if (fromArea === 'src' && (targetArea === 'storage' || targetArea === 'protocol')) {
    if (rest.join('/') !== 'index.js' && rest.join('/') !== 'index.ts') return `src may import ${targetArea}/ only through ${targetArea}/index.js`;
  }
  if (fromArea !== 'src' && targetArea === 'src') return `${fromArea} must not import src/`;
  return undefined;
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
