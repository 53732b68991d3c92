/**
 * The shape of one diagnosis step and the few ways a step ends. Kept apart from the
 * orchestrator so each check (reach, write, read, delete) builds its step the same way —
 * same names, same cause/fix fields — without importing the orchestrator back.
 */
import {
  explainCommonFailure,
  explainMissingPermission,
  explainUnexpected,
  factsAbout,
  type Explanation,
  type FailureContext,
  type S3Permission,
} from './explainS3Failure.ts';

export type DiagnosisStepId = 'reach' | 'write' | 'read' | 'publicRead' | 'delete';

export interface DiagnosisStep {
  id: DiagnosisStepId;
  name: string;
  ok: boolean;
  /** What was tried and what came back, in one or two sentences. */
  detail: string;
  /** Why it failed, in plain words. Only on failure. */
  cause?: string;
  /** What to change; may span several lines (a policy to paste). Only on failure. */
  fix?: string;
  /** Not attempted because an earlier step failed; `ok` is then false. */
  skipped?: boolean;
}

export const STEP_NAMES: Record<DiagnosisStepId, string> = {
  reach: 'Reach the bucket',
  write: 'Write a test object',
  read: 'Read it back',
  publicRead: 'Load it as a browser would',
  delete: 'Delete the test object',
};

export function passed(id: DiagnosisStepId, detail: string): DiagnosisStep {
  return { id, name: STEP_NAMES[id], ok: true, detail };
}

export function failed(id: DiagnosisStepId, detail: string, explanation: Explanation): DiagnosisStep {
  return { id, name: STEP_NAMES[id], ok: false, detail, cause: explanation.cause, fix: explanation.fix };
}

export function skipped(id: DiagnosisStepId, because: string): DiagnosisStep {
  return { id, name: STEP_NAMES[id], ok: false, skipped: true, detail: `Not tried: ${because}.` };
}

/** A request failed: AccessDenied means this request's permission is missing; anything else explains itself. */
export function failedRequest(
  id: DiagnosisStepId,
  request: string,
  error: unknown,
  permission: S3Permission,
  context: FailureContext,
): DiagnosisStep {
  const facts = factsAbout(error);
  const explanation =
    explainCommonFailure(facts, context) ??
    (facts.code === 'AccessDenied'
      ? explainMissingPermission(permission, context.bucket)
      : explainUnexpected(facts, request));
  return failed(id, `${request} failed: ${facts.summary}.`, explanation);
}
