/**
 * Advice names the variable to change. The explanations are written for the primary bucket;
 * for the backup bucket the same sentence must name its own variables — "set AWS_BUCKET_NAME"
 * would send the operator to the bucket that works.
 */
import type { DiagnosisStep } from './steps.ts';

const BACKUP_NAMES: Record<string, string> = {
  AWS_BUCKET_NAME: 'AWS_BACKUP_BUCKET_NAME',
  AWS_ENDPOINT_URL: 'AWS_BACKUP_ENDPOINT_URL',
  AWS_REGION: 'AWS_BACKUP_REGION',
};

function forBackup(text: string): string {
  return text.replace(/\bAWS_(BUCKET_NAME|ENDPOINT_URL|REGION)\b/g, (name) => BACKUP_NAMES[name] ?? name);
}

/** The steps with every variable name in their detail, cause and fix turned into the backup bucket's. */
export function namingBackupSettings(steps: DiagnosisStep[]): DiagnosisStep[] {
  return steps.map((step) => ({
    ...step,
    detail: forBackup(step.detail),
    ...(step.cause !== undefined && { cause: forBackup(step.cause) }),
    ...(step.fix !== undefined && { fix: forBackup(step.fix) }),
  }));
}
