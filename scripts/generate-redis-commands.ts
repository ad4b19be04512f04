// scripts/generate-redis-commands.ts: regenerates src/commands/redis-commands.json, Redis's own
// command table as data, from redis/redis's src/commands/*.json (all commands, served or not).
//   npm run generate:redis-commands -- --git <redis/redis git dir> [--ref 7.0.15]
//   npm run generate:redis-commands -- --dir <redis checkout>/src/commands
// What it writes:
// - "docs": per command ('set', 'client|kill'), its COMMAND DOCS fields as the redis-server
//   built from those files answers them: the same transform as Redis's
//   utils/generate-command-code.py (argument names lower case, tokens upper case, empty strings
//   dropped, a subcommand takes its container's group, 'sorted_set' shown as 'sorted-set'),
//   then what the C compiler makes of each "%s" the generator writes (MIGRATE's token `""`
//   becomes the empty string). Fields are in addReplyCommandDocs's order.
// - "keySpecs": per command with keys, its key_specs verbatim (COMMAND GETKEYSANDFLAGS reads
//   their flags).
// One command per line, names sorted, so a regeneration diffs line by line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT_FILE = path.join(REPO_DIR, 'src/commands/redis-commands.json');
const DEFAULT_REF = '7.0.15';
const ARGUMENT_TYPES = ['string', 'integer', 'double', 'key', 'pattern', 'unix-time', 'pure-token', 'oneof', 'block'];
const GROUP_NAMES: Record<string, string> = { sorted_set: 'sorted-set' }; // src/server.c COMMAND_GROUP_STR
const DOC_FLAGS = ['deprecated', 'syscmd']; // reply order: src/server.c addReplyDocFlagsForCommand

interface JsonArgument {
  name: string; type: string; key_spec_index?: number; token?: string; summary?: string; since?: string;
  deprecated_since?: string; optional?: boolean; multiple?: boolean; multiple_token?: boolean; arguments?: JsonArgument[];
}
interface JsonCommand {
  summary?: string; complexity?: string; group: string; since?: string; container?: string; doc_flags?: string[];
  deprecated_since?: string; replaced_by?: string; history?: [string, string][]; arguments?: JsonArgument[]; key_specs?: unknown[];
}

/** The string a C compiler makes of `"<text>"`: escapes resolved, `""` joining adjacent literals. */
function cString(text: string): string {
  let result = '';
  let inLiteral = true;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === '"') {
      inLiteral = !inLiteral;
      continue;
    }
    assert.ok(inLiteral, `C literal "${text}" has text between two literals`);
    if (char !== '\\') {
      result += char;
      continue;
    }
    const escaped = text[++index];
    const meaning: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
    assert.ok(escaped !== undefined && meaning[escaped] !== undefined, `C literal "${text}" has an escape this script does not know`);
    result += meaning[escaped];
  }
  assert.ok(inLiteral, `C literal "${text}" ends outside a literal`);
  return result;
}

/** get_optional_desc_string: a missing or empty value is NULL (left out of the reply). */
function optional(value: string | undefined, upperCase = false): string | undefined {
  if (value === undefined || value === '') return undefined;
  return cString(upperCase ? value.toUpperCase() : value);
}

function argumentDoc(argument: JsonArgument): Record<string, unknown> {
  assert.ok(ARGUMENT_TYPES.includes(argument.type), `argument type ${argument.type}`);
  const doc: Record<string, unknown> = { name: cString(argument.name.toLowerCase()), type: argument.type };
  if (argument.key_spec_index !== undefined) doc['key_spec_index'] = argument.key_spec_index;
  const fields: Array<[string, string | undefined]> = [
    ['token', optional(argument.token, true)], ['summary', optional(argument.summary)], ['since', optional(argument.since)],
  ];
  for (const [name, value] of fields) if (value !== undefined) doc[name] = value;
  if (argument.deprecated_since !== undefined) doc['deprecated_since'] = cString(argument.deprecated_since);
  const flags = [argument.optional && 'optional', argument.multiple && 'multiple', argument.multiple_token && 'multiple_token'].filter((flag) => typeof flag === 'string');
  if (flags.length > 0) doc['flags'] = flags;
  if (argument.type === 'oneof' || argument.type === 'block') doc['arguments'] = (argument.arguments ?? []).map(argumentDoc);
  return doc;
}

function commandDoc(command: JsonCommand, group: string): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  const set = (name: string, value: unknown) => { if (value !== undefined) doc[name] = value; };
  set('summary', optional(command.summary));
  set('since', optional(command.since));
  set('group', GROUP_NAMES[group] ?? group);
  set('complexity', optional(command.complexity));
  const docFlags = (command.doc_flags ?? []).map((flag) => flag.toLowerCase());
  for (const flag of docFlags) assert.ok(DOC_FLAGS.includes(flag), `doc flag ${flag}`);
  if (docFlags.length > 0) set('doc_flags', DOC_FLAGS.filter((flag) => docFlags.includes(flag)));
  set('deprecated_since', optional(command.deprecated_since));
  set('replaced_by', optional(command.replaced_by));
  if ((command.history ?? []).length > 0) set('history', command.history?.map(([since, changes]) => [cString(since), cString(changes)]));
  if ((command.arguments ?? []).length > 0) set('arguments', command.arguments?.map(argumentDoc));
  return doc;
}

function readSources(argv: readonly string[]): { files: Map<string, string>; source: string } {
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const files = new Map<string, string>();
  const dir = option('--dir');
  const gitDir = option('--git');
  if (dir !== undefined) {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.json')).sort()) files.set(name, readFileSync(path.join(dir, name), 'utf8'));
    return { files, source: `${path.resolve(dir)}/*.json` };
  }
  assert.ok(gitDir !== undefined, 'usage: generate-redis-commands.ts (--git <redis git dir> [--ref 7.0.15] | --dir <src/commands>)');
  const ref = option('--ref') ?? DEFAULT_REF;
  const git = (...args: string[]) => execFileSync('git', ['-C', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const commit = git('rev-parse', `${ref}^{commit}`).trim();
  const names = git('ls-tree', '--name-only', commit, 'src/commands/').split('\n').filter((file) => file.endsWith('.json')).sort();
  for (const name of names) files.set(path.basename(name), git('show', `${commit}:${name}`));
  return { files, source: `redis/redis ${ref} (${commit}) src/commands/*.json` };
}

function main(): void {
  const { files, source } = readSources(process.argv.slice(2));
  assert.ok(files.size > 0, 'no command JSON files found');
  const commands = new Map<string, JsonCommand>();
  for (const [file, text] of files) {
    for (const [name, command] of Object.entries(JSON.parse(text) as Record<string, JsonCommand>)) {
      const fullName = command.container === undefined ? name.toLowerCase() : `${command.container.toLowerCase()}|${name.toLowerCase()}`;
      assert.ok(!commands.has(fullName), `${file}: ${fullName} is defined twice`);
      commands.set(fullName, command);
    }
  }
  const names = [...commands.keys()].sort();
  const docs: string[] = [];
  const keySpecs: string[] = [];
  for (const name of names) {
    const command = commands.get(name) as JsonCommand;
    const container = command.container === undefined ? undefined : commands.get(command.container.toLowerCase());
    assert.ok(command.container === undefined || container !== undefined, `${name} has no container`);
    const group = container?.group ?? command.group;
    docs.push(`${JSON.stringify(name)}: ${JSON.stringify(commandDoc(command, group))}`);
    if ((command.key_specs ?? []).length > 0) keySpecs.push(`${JSON.stringify(name)}: ${JSON.stringify(command.key_specs)}`);
  }
  const text = `{\n"source": ${JSON.stringify(`${source}, by scripts/generate-redis-commands.ts`)},\n`
    + `"docs": {\n${docs.join(',\n')}\n},\n"keySpecs": {\n${keySpecs.join(',\n')}\n}\n}\n`;
  JSON.parse(text); // the output is JSON
  writeFileSync(OUTPUT_FILE, text);
  console.log(`wrote ${path.relative(REPO_DIR, OUTPUT_FILE)}: ${names.length} commands, ${keySpecs.length} with key specs, from ${source}`);
}

main();
