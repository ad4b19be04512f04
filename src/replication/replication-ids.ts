// src/replication/replication-ids.ts: the names of this server's history, kept in the data
// directory so they survive a restart (Redis keeps them in the RDB's aux fields):
//   replid       40 hex: the history the data belongs to. A primary's own; a replica's is its
//                primary's (its WAL holds the primary's batches under the same sequence numbers).
//   replid2      the history before the last promotion ('0' x 40 when none), valid up to
//   second-seq   the last sequence number written under replid2 (-1 when none): a sibling replica
//                of the old primary may continue from here without a full copy.
//   role         master | replica: what the server was when it last wrote this file.
// File `replication` in --dir, text, one `name value` line each, then `crc <crc32 of the lines
// before it>`. Written by temp file + fsync + rename + fsync of the directory, so a crash leaves
// the old file or the new one; a file that fails to parse counts as missing (a fresh history:
// replicas then take a full copy, never a wrong one).
// Invariants:
// - A replica stores its primary's replid before it applies any batch under it, and marks the
//   history unknown ('?') before a full copy replaces its data; so the file never names a history
//   the data does not belong to.
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as nodePath from 'node:path';
import { crc32 } from 'node:zlib';

export const REPLICATION_IDS_FILE = 'replication';
/** replid of a history nobody can continue (a replica mid full sync): PSYNC sends '?' then. */
export const UNKNOWN_REPLID = '?';
export const NO_REPLID = '0'.repeat(40);

export interface ReplicationIds {
  replid: string;
  replid2: string;
  secondSeq: number;
  role: 'master' | 'replica';
}

export function newReplid(): string {
  return randomBytes(20).toString('hex');
}

export function freshIds(): ReplicationIds {
  return { replid: newReplid(), replid2: NO_REPLID, secondSeq: -1, role: 'master' };
}

function encode(ids: ReplicationIds): string {
  const body = `replid ${ids.replid}\nreplid2 ${ids.replid2}\nsecond-seq ${ids.secondSeq}\nrole ${ids.role}\n`;
  return `${body}crc ${crc32(Buffer.from(body))}\n`;
}

function decode(text: string): ReplicationIds | undefined {
  const crcAt = text.lastIndexOf('crc ');
  if (crcAt < 0 || `crc ${crc32(Buffer.from(text.slice(0, crcAt)))}\n` !== text.slice(crcAt)) return undefined;
  const fields = new Map(text.slice(0, crcAt).split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
  const replid = fields.get('replid');
  const replid2 = fields.get('replid2');
  const secondSeq = Number(fields.get('second-seq'));
  const role = fields.get('role');
  const validId = (id: string | undefined) => id !== undefined && (id === UNKNOWN_REPLID || /^[0-9a-f]{40}$/.test(id));
  if (!validId(replid) || !validId(replid2) || !Number.isSafeInteger(secondSeq) || (role !== 'master' && role !== 'replica')) return undefined;
  return { replid: replid!, replid2: replid2!, secondSeq, role };
}

/** The ids stored in dir, or undefined when there are none (or they do not parse). */
export function loadIds(dir: string): ReplicationIds | undefined {
  try {
    return decode(nodeFs.readFileSync(nodePath.join(dir, REPLICATION_IDS_FILE), 'latin1'));
  } catch {
    return undefined;
  }
}

/** Stores ids durably (see the header); throws what the file system throws. */
export function saveIds(dir: string, ids: ReplicationIds): void {
  const path = nodePath.join(dir, REPLICATION_IDS_FILE);
  const temp = `${path}.tmp`;
  const fd = nodeFs.openSync(temp, 'w');
  try {
    nodeFs.writeSync(fd, encode(ids));
    nodeFs.fdatasyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
  nodeFs.renameSync(temp, path);
  const dirFd = nodeFs.openSync(dir, 'r');
  try {
    nodeFs.fsyncSync(dirFd);
  } finally {
    nodeFs.closeSync(dirFd);
  }
}
