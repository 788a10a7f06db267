/** The error `promise` rejects with; fails the test if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error(`expected a rejection, but the promise resolved with ${JSON.stringify(value)}`);
}
