// src/ops/logger.ts: the process logger (pino). One JSON object per line by default; when stdout is a
// terminal, one readable line per record in redis-server's own layout:
//
//   28808:M 25 Nov 2025 08:16:01.123 * tskv 0.1.0 ready to accept connections port=7379 dir=/data
//   pid  :role  day month year  time  level  message                       fields, key=value
//
// Level characters as Redis: `.` debug, `-` verbose, `*` notice, `#` warning (and error, fatal).
// --loglevel takes Redis's names; pino gets a custom `verbose` level (25) between debug and info:
//   debug -> debug (20), verbose -> verbose (25), notice -> info (30), warning -> warn (40),
//   nothing -> silent.
// Invariants:
// - Writes are synchronous (fd 1), so the lines logged just before process.exit() are not lost.
// - The readable formatter never throws: a line that is not JSON is written through unchanged.
import { writeSync } from 'node:fs';
import { pino } from 'pino';
import type { LogLevel } from './config.js';

export const VERBOSE_LEVEL_VALUE = 25;
export const PINO_LEVEL: Readonly<Record<LogLevel, string>> = { debug: 'debug', verbose: 'verbose', notice: 'info', warning: 'warn', nothing: 'silent' };
const LEVEL_CHAR: Readonly<Record<string, string>> = { trace: '.', debug: '.', verbose: '-', info: '*', warn: '#', error: '#', fatal: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RESERVED_KEYS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

export type LogFormat = 'json' | 'pretty' | 'auto';
export type TskvLogger = pino.Logger<'verbose'>;

/** Where lines go: fd 1 by default; tests pass their own. */
export interface LineSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format?: LogFormat; // auto (default): pretty when stdout is a TTY
  sink?: LineSink;
  isTty?: boolean; // default process.stdout.isTTY
}

const stdoutSink: LineSink = { write: (line) => void writeSync(1, line) };

export function createLogger(options: LoggerOptions): TskvLogger {
  const sink = options.sink ?? stdoutSink;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && (options.isTty ?? process.stdout.isTTY === true));
  const stream = pretty ? { write: (chunk: string) => sink.write(formatLine(chunk)) } : options.sink ? { write: (chunk: string) => sink.write(chunk) } : pino.destination({ dest: 1, sync: true });
  return pino<'verbose'>(
    {
      level: PINO_LEVEL[options.level],
      customLevels: { verbose: VERBOSE_LEVEL_VALUE },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** CONFIG SET loglevel. */
export function setLogLevel(logger: TskvLogger, level: LogLevel): void {
  logger.level = PINO_LEVEL[level];
}

/** One JSON log line (as createLogger writes it) as a redis-server style line. */
export function formatLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(jsonLine);
    if (typeof parsed !== 'object' || parsed === null) return jsonLine;
    record = parsed as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const pid = typeof record.pid === 'number' ? record.pid : process.pid;
  const time = new Date(typeof record.time === 'string' || typeof record.time === 'number' ? record.time : Date.now());
  const level = LEVEL_CHAR[String(record.level)] ?? '*';
  let line = `${pid}:M ${formatTime(time)} ${level} ${typeof record.msg === 'string' ? record.msg : ''}`;
  for (const [key, value] of Object.entries(record)) {
    if (!RESERVED_KEYS.has(key)) line += ` ${key}=${formatValue(value)}`;
  }
  return `${line.replace(/[\r\n]+/g, ' ')}\n`;
}

/** `25 Nov 2025 08:16:01.123`, local time, as Redis's serverLogRaw. */
function formatTime(time: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(time.getDate())} ${MONTHS[time.getMonth()]} ${time.getFullYear()} ` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`
  );
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
