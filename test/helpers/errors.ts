// test/helpers/errors.ts: the error text a client call rejected with, for tests that compare
// tskv's error replies with Redis's words.

/** The message a call rejected with, or 'no error'. */
export async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}
