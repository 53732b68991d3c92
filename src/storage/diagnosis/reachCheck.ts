/**
 * The diagnosis's first step: can the app reach the bucket at all? It is the one step that
 * needs more than a single request, because HeadBucket's bare 403 cannot tell wrong keys from
 * a missing s3:ListBucket, and the two need opposite fixes.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  explainCommonFailure,
  explainMissingPermission,
  explainUnexpected,
  factsAbout,
  type FailureContext,
} from './explainS3Failure.ts';
import { failed, passed, type DiagnosisStep } from './steps.ts';

export interface ReachOutcome {
  step: DiagnosisStep;
  /** Whether later steps are worth trying: the keys work even if listing is refused. */
  credentialsWork: boolean;
}

export async function checkReach(
  client: S3Client,
  context: FailureContext,
  writeTestObject: () => Promise<void>,
): Promise<ReachOutcome> {
  const { bucket } = context;
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    const detail = `HeadBucket on "${bucket}" answered: the endpoint is reachable, the bucket exists and the credentials are accepted.`;
    return { step: passed('reach', detail), credentialsWork: true };
  } catch (error) {
    const facts = factsAbout(error);
    const detail = `HeadBucket on "${bucket}" failed: ${facts.summary}.`;
    const common = explainCommonFailure(
      facts.code === 'NotFound' ? { ...facts, code: 'NoSuchBucket' } : facts,
      context,
    );
    if (common !== undefined || facts.code !== 'AccessDenied') {
      return {
        step: failed('reach', detail, common ?? explainUnexpected(facts, 'HeadBucket')),
        credentialsWork: false,
      };
    }
    return tellBadCredentialsFromMissingListBucket(detail, context, writeTestObject);
  }
}

/**
 * HeadBucket's 403 has no body, so it cannot say whether the keys are wrong or only
 * s3:ListBucket is missing. A PutObject error does say: S3 checks the signature first.
 */
async function tellBadCredentialsFromMissingListBucket(
  headDetail: string,
  context: FailureContext,
  writeTestObject: () => Promise<void>,
): Promise<ReachOutcome> {
  let probeError: unknown;
  try {
    await writeTestObject();
  } catch (error) {
    probeError = error;
  }
  const probe = probeError === undefined ? undefined : factsAbout(probeError);
  if (probe === undefined || probe.code === 'AccessDenied') {
    const listBucket = explainMissingPermission('s3:ListBucket', context.bucket);
    const cause =
      probe === undefined
        ? listBucket.cause
        : `${listBucket.cause} (Or the bucket belongs to another AWS account: bucket names are global.)`;
    const probeResult = probe === undefined ? 'accepted' : 'refused for lack of permission, not for bad keys';
    const detail = `${headDetail} The keys themselves are valid: a test PutObject was ${probeResult}.`;
    return { step: failed('reach', detail, { cause, fix: listBucket.fix }), credentialsWork: true };
  }
  const detail = `${headDetail} A test PutObject then failed: ${probe.summary}.`;
  const explanation = explainCommonFailure(probe, context) ?? explainUnexpected(probe, 'a test PutObject');
  return { step: failed('reach', detail, explanation), credentialsWork: false };
}

/** The region named in failure explanations; read once, before any step runs. */
export async function configuredRegionOf(client: S3Client): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    // No region at all: HeadBucket will fail and explain it; the wording only needs a placeholder.
    return '(unset)';
  }
}
