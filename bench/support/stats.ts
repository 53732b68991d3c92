/** Median and spread of repeated measurements, and the number formats the table uses. */

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('summarize needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

export function spread(summary: Summary, digits = 2): string {
  return `${fixed(summary.min, digits)}–${fixed(summary.max, digits)}`;
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}
