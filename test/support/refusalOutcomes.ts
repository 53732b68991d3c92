/**
 * Services refuse by throwing a Refusal. These tests were written against results that carried
 * the refusal ({ ok: false, status, error, fields }); `withOutcomes` wraps a service so each
 * method resolves to that shape again, and the tests keep their assertions word for word. Any
 * error that is not a Refusal still rejects.
 */
import { Refusal } from '../../src/refusals/refusal.ts';

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; error: string; fields?: Readonly<Record<string, string>> };

export async function outcomeOf<T>(work: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return { ok: false, status: error.status, error: error.message, ...(error.fields && { fields: error.fields }) };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any method signature is wrapped the same way
type Methods = Record<string, (...args: any[]) => Promise<unknown>>;
export type WithOutcomes<S extends Methods> = {
  [K in keyof S]: (...args: Parameters<S[K]>) => Promise<Outcome<Awaited<ReturnType<S[K]>>>>;
};

export function withOutcomes<S extends Methods>(service: S): WithOutcomes<S> {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [name, (...args: unknown[]) => outcomeOf(method(...args))]),
  ) as unknown as WithOutcomes<S>;
}
