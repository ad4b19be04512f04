import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, OPTIONS, parseArguments } from './config.js';
import {
  directivesToArguments, parseConfigText, quoteArgument, resolveCommandLine, rewriteConfigFile, rewriteConfigText,
  rewriteOptionsFrom, splitConfigLine, REWRITE_SIGNATURE, type RewriteOption,
} from './config-file.js';

const REPO_DIR = path.resolve(import.meta.dirname, '..', '..');

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tskv-conf-')), name);
  writeFileSync(file, text);
  return file;
}

describe('parseConfigText', () => {
  it('reads directives, skipping comments and blank lines, names in lower case', () => {
    const text = '# comment\n\n  PORT 7380  \n\tbind 127.0.0.1 ::1\r\nrequirepass "a b\\tc"\nrequirepass \'it\\\'s\'\n   # indented comment\n';
    expect(parseConfigText(text, 'x.conf')).toEqual([
      { line: 3, text: 'PORT 7380', name: 'port', args: ['7380'] },
      { line: 4, text: 'bind 127.0.0.1 ::1', name: 'bind', args: ['127.0.0.1', '::1'] },
      { line: 5, text: 'requirepass "a b\\tc"', name: 'requirepass', args: ['a b\tc'] },
      { line: 6, text: "requirepass 'it\\'s'", name: 'requirepass', args: ["it's"] },
    ]);
  });

  it('fails on unbalanced quotes, naming the file and line', () => {
    expect(() => parseConfigText('port 1\nrequirepass "open\n', 'x.conf')).toThrow(/x\.conf, line 2: >>> 'requirepass "open': Unbalanced quotes/);
  });

  it('keeps a # after the first word as an argument, as Redis does', () => {
    expect(splitConfigLine('requirepass abc#def')).toEqual(['requirepass', 'abc#def']);
  });
});

describe('directivesToArguments', () => {
  it('turns directives into flags config.ts accepts', () => {
    const flags = directivesToArguments(parseConfigText('port 7390\nbind 127.0.0.1 ::1\nappendfsync everysec\nrequirepass ""\n', 'x'), 'x');
    expect(flags).toEqual(['--port=7390', '--bind=127.0.0.1 ::1', '--appendfsync=everysec', '--requirepass=']);
    const parsed = parseArguments(flags);
    expect(parsed.kind === 'run' && [parsed.config.port, parsed.config.bind, parsed.config.appendfsync]).toEqual([7390, ['127.0.0.1', '::1'], 'everysec']);
  });

  it('names the line of a bad value or an unknown directive', () => {
    expect(() => directivesToArguments(parseConfigText('# c\nport abc\n', 'x.conf'), 'x.conf')).toThrow("config file x.conf, line 2: >>> 'port abc': argument couldn't be parsed into an integer");
    expect(() => directivesToArguments(parseConfigText('include other.conf\n', 'x.conf'), 'x.conf')).toThrow(/line 1: >>> 'include other.conf': Bad directive or wrong number of arguments/);
    expect(() => directivesToArguments(parseConfigText('port\n', 'x.conf'), 'x.conf')).toThrow(ConfigError);
  });

  it('takes the Redis 6 ziplist names as aliases and adds up several save lines, as Redis does', () => {
    const flags = directivesToArguments(parseConfigText('hash-max-ziplist-entries 64\nsave 900 1\nsave 300 10\nzset-max-ziplist-value 1kb\n', 'x'), 'x');
    expect(flags).toEqual(['--hash-max-ziplist-entries=64', '--save=900 1 300 10', '--zset-max-ziplist-value=1kb']);
    const parsed = parseArguments(flags);
    expect(parsed.kind === 'run' && [parsed.config.hashMaxListpackEntries, parsed.config.save, parsed.config.zsetMaxListpackValueBytes])
      .toEqual([64, [{ seconds: 900, changes: 1 }, { seconds: 300, changes: 10 }], 1024]);
    const reset = directivesToArguments(parseConfigText('save ""\nsave 60 5\n', 'x'), 'x');
    expect(reset).toEqual(['--save=60 5']);
  });
});

describe('resolveCommandLine', () => {
  it('reads the file first, so flags override it', () => {
    const file = tempFile('t.conf', 'port 7390\ndir /tmp/from-file\nappendfsync no\n');
    const line = resolveCommandLine([file, '--port', '7380']);
    expect(line.configFile).toBe(file);
    const parsed = parseArguments(line.arguments);
    expect(parsed.kind === 'run' && [parsed.config.port, parsed.config.dir, parsed.config.appendfsync]).toEqual([7380, '/tmp/from-file', 'no']);
  });

  it('passes flags through when no file is named', () => {
    expect(resolveCommandLine(['--port', '1', '--bind', 'a', 'b'])).toEqual({ configFile: undefined, arguments: ['--port=1', '--bind=a b'] });
    expect(resolveCommandLine([])).toEqual({ configFile: undefined, arguments: [] });
  });

  it('finds the file after the flags too, and the flags still override it, whatever the order', () => {
    const file = tempFile('after.conf', 'port 7390\ndir /tmp/from-file\nbind 10.0.0.1\nmaxmemory 1mb\n');
    const orders = [
      ['--bind', '0.0.0.0', '--port', '7380', '--dir', '/data', file],
      ['--bind', '0.0.0.0', file, '--port', '7380', '--dir', '/data'],
      [file, '--bind', '0.0.0.0', '--port', '7380', '--dir', '/data'],
      ['--port=7380', '--bind', '0.0.0.0', '--dir=/data', file],
    ];
    for (const argv of orders) {
      const line = resolveCommandLine(argv);
      expect(line.configFile, argv.join(' ')).toBe(file);
      const parsed = parseArguments(line.arguments);
      expect(parsed.kind === 'run' && [parsed.config.port, parsed.config.bind, parsed.config.dir, parsed.config.maxmemoryBytes], argv.join(' '))
        .toEqual([7380, ['0.0.0.0'], '/data', 1024 * 1024]);
    }
  });

  it('ends a multi-word flag at a word that names a file, and refuses a second file', () => {
    const file = tempFile('multi.conf', 'port 7391\n');
    const relative = path.relative(process.cwd(), file);
    const line = resolveCommandLine(['--bind', '127.0.0.1', '::1', relative]);
    expect(line.configFile).toBe(file);
    expect(line.arguments).toEqual(['--port=7391', '--bind=127.0.0.1 ::1']);
    expect(() => resolveCommandLine([file, '--port', '1', 'other.conf'])).toThrow("unexpected argument 'other.conf' (try --help)");
  });

  it('leaves --help to the flags parser even with a file named', () => {
    const line = resolveCommandLine(['/nonexistent/tskv.conf', '--help']);
    expect(parseArguments(line.arguments).kind).toBe('help');
  });

  it('fails with the path when the file cannot be read', () => {
    expect(() => resolveCommandLine(['/nonexistent/tskv.conf'])).toThrow("can't open config file '/nonexistent/tskv.conf': ENOENT: no such file or directory");
  });
});

describe('the example tskv.conf', () => {
  const text = readFileSync(path.join(REPO_DIR, 'tskv.conf'), 'utf8');
  const directives = parseConfigText(text, 'tskv.conf');

  it('names only options tskv has, each once, under its Redis 7 name', () => {
    const known = new Set(OPTIONS.map((option) => option.name));
    expect(directives.map((d) => d.name).filter((name) => !known.has(name))).toEqual([]);
    expect(new Set(directives.map((d) => d.name)).size).toBe(directives.length);
  });

  it('sets every option to its default, with a comment above each', () => {
    const known = new Set(OPTIONS.map((option) => option.name));
    const flags = directivesToArguments(directives.filter((d) => known.has(d.name)), 'tskv.conf');
    const parsed = parseArguments(flags);
    const defaults = parseArguments([]);
    expect(parsed.kind === 'run' && defaults.kind === 'run' && parsed.config).toEqual(defaults.kind === 'run' && defaults.config);
    const lines = text.split('\n');
    for (const directive of directives) expect(lines[directive.line - 2], directive.name).toMatch(/^#|^$/);
    for (const option of OPTIONS) expect(directives.some((d) => d.name === option.name), `tskv.conf documents ${option.name}`).toBe(true);
  });
});

describe('quoteArgument', () => {
  it('quotes only what needs it, so the line splits back to the same value', () => {
    for (const value of ['7379', '/var/lib/tskv', '', 'a b', 'say "hi"', 'back\\slash', "it's", '#x', 'tab\tnew\nline', 'ünïcode', '\u0001']) {
      expect(splitConfigLine(`name ${quoteArgument(value)}`)).toEqual(['name', value]);
    }
    expect(quoteArgument('everysec')).toBe('everysec');
    expect(quoteArgument('')).toBe('""');
  });
});

describe('rewriteConfigText', () => {
  const option = (name: string, args: string[], defaultArgs: string[]): RewriteOption => ({ name, args, defaultArgs });

  it('rewrites values in place and keeps comments, blank lines and other lines', () => {
    const before = '# my server\nport 7379\n\n# where data lives\ndir ./data\nunknown-thing keep me\n';
    const after = rewriteConfigText(before, [option('port', ['7380'], ['7379']), option('dir', ['/srv/tskv'], ['/cwd/data'])]);
    expect(after).toBe('# my server\nport 7380\n\n# where data lives\ndir /srv/tskv\nunknown-thing keep me\n');
  });

  it('appends options that changed from their default after a signature, once', () => {
    const once = rewriteConfigText('port 7379\n', [option('port', ['7379'], ['7379']), option('timeout', ['30'], ['0']), option('maxclients', ['10000'], ['10000'])]);
    expect(once).toBe(`port 7379\n${REWRITE_SIGNATURE}\ntimeout 30\n`);
    const twice = rewriteConfigText(once, [option('timeout', ['30'], ['0']), option('loglevel', ['warning'], ['notice'])]);
    expect(twice).toBe(`port 7379\n${REWRITE_SIGNATURE}\ntimeout 30\nloglevel warning\n`);
  });

  it('keeps an option present in the file even at its default value', () => {
    expect(rewriteConfigText('timeout 30\n', [option('timeout', ['0'], ['0'])])).toBe('timeout 0\n');
  });

  it('drops later duplicate lines of an option and writes multi-word values', () => {
    const after = rewriteConfigText('bind 127.0.0.1\n# x\nBIND ::1\n', [option('bind', ['0.0.0.0', '::'], ['127.0.0.1'])]);
    expect(after).toBe('bind 0.0.0.0 ::\n# x\n');
  });

  it('quotes values that need it', () => {
    expect(rewriteConfigText('', [option('requirepass', ['s3cret with space'], [''])])).toBe(`${REWRITE_SIGNATURE}\nrequirepass "s3cret with space"\n`);
    expect(rewriteConfigText('requirepass x\n', [option('requirepass', [''], [''])])).toBe('requirepass ""\n');
  });
});

describe('rewriteConfigFile', () => {
  it('replaces the file atomically, keeping its mode and leaving no temp file', () => {
    const file = tempFile('r.conf', '# keep\nport 7379\n');
    chmodSync(file, 0o600);
    rewriteConfigFile(file, [{ name: 'port', args: ['7400'], defaultArgs: ['7379'] }]);
    expect(readFileSync(file, 'utf8')).toBe('# keep\nport 7400\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['r.conf']);
  });

  it('keeps a line as written when it already means the effective value', () => {
    const file = tempFile('keep.conf', 'proto-max-bulk-len 512mb\ndir ./data\nport 7379\n');
    const current = { protoMaxBulkLen: 512 * 1024 * 1024, dir: path.resolve('./data'), port: 7380 };
    const defaults = { protoMaxBulkLen: 512 * 1024 * 1024, dir: path.resolve('./data'), port: 7379 };
    const readers: Array<[string, (c: typeof current) => string]> = [
      ['proto-max-bulk-len', (c) => String(c.protoMaxBulkLen)], ['dir', (c) => c.dir], ['port', (c) => String(c.port)],
    ];
    const parse = (flags: string[]) => {
      const parsed = parseArguments(flags);
      if (parsed.kind !== 'run') throw new Error('not a run');
      return { protoMaxBulkLen: parsed.config.protoMaxBulkLen, dir: path.resolve(parsed.config.dir), port: parsed.config.port };
    };
    rewriteConfigFile(file, rewriteOptionsFrom(readers, current, defaults, new Set(['proto-max-bulk-len', 'dir', 'port']), parse));
    expect(readFileSync(file, 'utf8')).toBe('proto-max-bulk-len 512mb\ndir ./data\nport 7380\n');
  });

  it('writes a file that loads back to the same configuration', () => {
    const file = tempFile('round.conf', '# hello\nport 7379\n');
    const current = { port: 7411, requirepass: 'p w"x', bind: ['127.0.0.1', '::1'] };
    const defaults = { port: 7379, requirepass: '', bind: ['127.0.0.1'] };
    const readers: Array<[string, (c: typeof current) => string]> = [['port', (c) => String(c.port)], ['requirepass', (c) => c.requirepass], ['bind', (c) => c.bind.join(' ')], ['save', () => '']];
    rewriteConfigFile(file, rewriteOptionsFrom(readers, current, defaults, new Set(['port', 'requirepass', 'bind'])));
    const parsed = parseArguments(resolveCommandLine([file]).arguments);
    expect(parsed.kind === 'run' && [parsed.config.port, parsed.config.requirepass, parsed.config.bind]).toEqual([7411, 'p w"x', ['127.0.0.1', '::1']]);
  });
});
