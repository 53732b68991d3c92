/**
 * A bound on how long an answer waits for something slow (a silent database): `promise`'s
 * value, or `fallback` once `ms` have passed. The promise runs on and is no longer listened to,
 * so it must handle its own rejection or be one whose rejection the caller handles.
 */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
