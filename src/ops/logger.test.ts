import { describe, expect, it } from 'vitest';
import { createLogger, formatLine, setLogLevel, type LoggerOptions } from './logger.js';

function capture(options: Omit<LoggerOptions, 'sink'>) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, sink: { write: (line) => lines.push(line) } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line by default when stdout is not a terminal', () => {
    const { logger, lines } = capture({ level: 'notice', isTty: false });
    logger.info({ port: 7379, dir: '/data' }, 'ready to accept connections');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', pid: process.pid, port: 7379, dir: '/data', msg: 'ready to accept connections' });
    expect(typeof record.time).toBe('string');
    expect(lines[0]?.endsWith('\n')).toBe(true);
  });

  it('writes readable redis-server style lines when stdout is a terminal', () => {
    const { logger, lines } = capture({ level: 'notice', isTty: true });
    logger.warn({ client: 7, reason: 'query buffer limit' }, 'closing client');
    expect(lines[0]).toMatch(/^\d+:M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} # closing client client=7 reason="query buffer limit"\n$/);
  });

  it('follows an explicit format over the terminal check', () => {
    const json = capture({ level: 'notice', format: 'json', isTty: true });
    json.logger.info({}, 'x');
    expect(() => JSON.parse(json.lines[0] as string) as unknown).not.toThrow();
    const pretty = capture({ level: 'notice', format: 'pretty', isTty: false });
    pretty.logger.info({}, 'x');
    expect(pretty.lines[0]).toMatch(/ \* x\n$/);
  });

  it('maps Redis log levels: debug < verbose < notice < warning, nothing = silent', () => {
    const logged = (level: LoggerOptions['level']) => {
      const { logger, lines } = capture({ level, format: 'pretty' });
      logger.debug({}, 'd');
      logger.verbose({}, 'v');
      logger.info({}, 'n');
      logger.warn({}, 'w');
      logger.error({}, 'e');
      return lines.map((line) => line.trim().slice(-3));
    };
    expect(logged('debug')).toEqual(['. d', '- v', '* n', '# w', '# e']);
    expect(logged('verbose')).toEqual(['- v', '* n', '# w', '# e']);
    expect(logged('notice')).toEqual(['* n', '# w', '# e']);
    expect(logged('warning')).toEqual(['# w', '# e']);
    expect(logged('nothing')).toEqual([]);
  });

  it('changes level at run time (CONFIG SET loglevel)', () => {
    const { logger, lines } = capture({ level: 'warning', format: 'json' });
    logger.info({}, 'hidden');
    setLogLevel(logger, 'debug');
    logger.debug({}, 'shown');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['shown']);
  });
});

describe('formatLine', () => {
  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLine('plain text\n')).toBe('plain text\n');
    expect(formatLine('42\n')).toBe('42\n');
  });

  it('prints nested fields as JSON and keeps the record on one line', () => {
    const line = formatLine(JSON.stringify({ level: 'info', time: '2025-11-25T08:16:01.123Z', pid: 1, msg: 'a\nb', bind: ['127.0.0.1'], ok: true }));
    expect(line).toMatch(/^1:M \d\d Nov 2025 \d\d:\d\d:01\.123 \* a b bind=\["127\.0\.0\.1"\] ok=true\n$/);
  });
});
