/**
 * storage:check's diagnosis as text: each step with ✓ or ✗, its cause and its fix (a policy
 * to paste stays aligned under its label), and the one-line verdict at the end.
 */
import type { S3Settings } from '../config.ts';
import type { DiagnosisStep, S3Diagnosis } from '../storage/diagnoseS3.ts';

export function formatSteps(steps: DiagnosisStep[]): string[] {
  const lines: string[] = [];
  steps.forEach((step, index) => {
    if (step.skipped) {
      lines.push(`- ${index + 1}. ${step.name} — ${step.detail}`);
      return;
    }
    lines.push(`${step.ok ? '✓' : '✗'} ${index + 1}. ${step.name}`);
    lines.push(...labelled('     ', '', step.detail));
    if (step.cause) lines.push(...labelled('     ', 'Cause: ', step.cause));
    if (step.fix) lines.push(...labelled('     ', 'Fix:   ', step.fix));
  });
  return lines;
}

/** Multi-line text (a policy to paste) stays aligned under its label. */
function labelled(indent: string, label: string, text: string): string[] {
  const [first = '', ...rest] = text.split('\n');
  const hanging = indent + ' '.repeat(label.length);
  return [indent + label + first, ...rest.map((line) => hanging + line)];
}

/** The last line: usable or not, and which steps failed. */
export function verdict(diagnosis: S3Diagnosis, settings: S3Settings, source: string): string {
  if (diagnosis.usable) {
    return `✓ S3 is usable: images are stored in bucket "${settings.bucket}" and browsers load them from ${source}.`;
  }
  const failed = diagnosis.steps.flatMap((step, index) =>
    step.ok || step.skipped ? [] : [`${index + 1} (${step.name})`],
  );
  const skippedCount = diagnosis.steps.filter((step) => step.skipped).length;
  const notTried = skippedCount > 0 ? `, ${skippedCount} not tried` : '';
  const which = `step${failed.length > 1 ? 's' : ''} ${failed.join(', ')} failed${notTried}`;
  return `✗ S3 is not usable as configured: ${which}. Apply the fix${failed.length > 1 ? 'es' : ''} above, then run \`npm run storage:check\` again.`;
}
