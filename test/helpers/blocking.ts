// test/helpers/blocking.ts: what the blocking-pop tests share: INFO blocked_clients polled the way
// Redis's wait_for_blocked_clients_count does (bounded rounds), whether a promise settles within a
// time, and a rejected call's message.
import { RawClient, formatReply } from './raw-client.js';

export const POLL_INTERVAL_MS = 10;
export const POLL_ROUNDS_MAX = 500; // 5 s

/** INFO clients' blocked_clients of the server on port. */
export async function blockedClients(port: number): Promise<number> {
  const admin = await RawClient.connect(port);
  try {
    const info = await admin.send(['INFO', 'clients']);
    return Number(/blocked_clients:(\d+)/.exec(formatReply(info))?.[1]);
  } finally {
    admin.close();
  }
}

/** Redis's wait_for_blocked_clients_count: polls INFO until count clients are blocked. */
export async function waitForBlocked(port: number, count: number): Promise<void> {
  for (let round = 0; round < POLL_ROUNDS_MAX; round++) {
    if ((await blockedClients(port)) === count) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`${await blockedClients(port)} clients blocked, not ${count}, after ${POLL_ROUNDS_MAX * POLL_INTERVAL_MS} ms`);
}

/** Whether promise settles within ms. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  const settled = promise.then(() => true, () => true);
  try {
    return await Promise.race([settled, quiet]);
  } finally {
    clearTimeout(timer);
  }
}

export { errorOf } from './errors.js';
