/**
 * Turns an S3 or network failure into what an operator can act on: why it failed (cause) and
 * which setting or permission to change (fix). Builds on classifyS3Error and keeps what that
 * mapping drops — the network error code, the S3 error name, the bucket's real region —
 * because "AccessDenied" alone does not say which permission to grant.
 */
import type { StorageErrorCode } from '../contract.ts';
import { classifyS3Error } from '../s3Errors.ts';
import { leastPrivilegeIamPolicy, policyJson } from './policies.ts';

export interface Explanation {
  cause: string;
  /** May span several lines (a policy to paste). */
  fix: string;
}

export interface S3FailureFacts {
  code: StorageErrorCode;
  /** S3's error name (NoSuchBucket, SignatureDoesNotMatch), Node's network code (ECONNREFUSED) or "HTTP 403". */
  name: string;
  status: number | undefined;
  /** One line for a step's detail: what the server or the network said. */
  summary: string;
  /** The bucket's real region when S3 said so (x-amz-bucket-region header or the error body). */
  bucketRegion: string | undefined;
}

export interface FailureContext {
  bucket: string;
  /** The region the client signs for (AWS_REGION). */
  configuredRegion: string;
}

/** The fields SDK v3 and Node network errors carry; all optional because anything can be thrown. */
interface ThrownShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  Region?: unknown;
  Endpoint?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

// Body-less HEAD errors (HeadBucket's 403) reach us with names and messages that say nothing.
const MEANINGLESS = new Set(['Error', 'Unknown', 'UnknownError']);

export function factsAbout(error: unknown): S3FailureFacts {
  const thrown: ThrownShape = typeof error === 'object' && error !== null ? error : {};
  const status = thrown.$metadata?.httpStatusCode;
  const meaningful = (value: unknown): value is string => typeof value === 'string' && !MEANINGLESS.has(value);
  const name = [thrown.Code, thrown.code, thrown.name].find(meaningful) ?? (status ? `HTTP ${status}` : 'Error');
  const message = meaningful(thrown.message) ? thrown.message : undefined;
  const withStatus = status && !name.startsWith('HTTP') ? `${name} (HTTP ${status})` : name;
  let summary = withStatus;
  if (message !== undefined) summary = message.includes(name) ? message : `${withStatus}: ${message}`;
  // Callers end their sentences themselves; S3 messages often already end with a period.
  summary = summary.replace(/[.\s]+$/, '');
  return { code: classifyS3Error(error), name, status, summary, bucketRegion: bucketRegionFrom(thrown) };
}

function bucketRegionFrom(thrown: ThrownShape): string | undefined {
  const header = thrown.$response?.headers?.['x-amz-bucket-region'];
  if (header) return header;
  // AuthorizationHeaderMalformed names the region in its body; PermanentRedirect names the endpoint.
  if (typeof thrown.Region === 'string' && thrown.Region !== '') return thrown.Region;
  if (typeof thrown.Endpoint === 'string') return /\.s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(thrown.Endpoint)?.[1];
  return undefined;
}

const NETWORK_FIX =
  "Check AWS_ENDPOINT_URL: for AWS itself leave it unset and set AWS_REGION to the bucket's region; " +
  'for MinIO, R2, B2 or Spaces use the exact URL your provider documents (http or https, host and port). ' +
  'Then make sure this machine can reach it (for example with curl) and that the S3 service is running.';

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED:
    'Nothing accepted the connection (connection refused): the endpoint address or port is wrong, or the S3 server is down.',
  ENOTFOUND:
    "The endpoint's host name does not resolve (DNS lookup failed): it is misspelled, or this machine has no DNS access.",
  EAI_AGAIN:
    "The endpoint's host name could not be resolved right now (DNS lookup failed): check the name and this machine's DNS.",
  EHOSTUNREACH: 'There is no network route to the endpoint: this machine is offline, or a firewall blocks it.',
  ENETUNREACH: 'There is no network route to the endpoint: this machine is offline, or a firewall blocks it.',
  ECONNRESET:
    'The endpoint dropped the connection mid-request: often http:// used for an https port (or the reverse), or a proxy in between.',
  EPIPE:
    'The endpoint dropped the connection mid-request: often http:// used for an https port (or the reverse), or a proxy in between.',
};

const CREDENTIAL_EXPLANATIONS: Record<string, Explanation> = {
  InvalidAccessKeyId: {
    cause:
      'S3 does not recognise the access key id (InvalidAccessKeyId): it is mistyped, deleted or deactivated, or belongs to another provider or account.',
    fix: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to an active access key of the account that owns the bucket; copy both again from your provider's console (on AWS: IAM → Users → Security credentials).",
  },
  SignatureDoesNotMatch: {
    cause: 'The access key id is known, but the secret key does not belong to it (SignatureDoesNotMatch).',
    fix: 'Set AWS_SECRET_ACCESS_KEY to the secret created together with AWS_ACCESS_KEY_ID; copy it again without stray spaces or quotes. A lost secret cannot be shown again: create a new access key.',
  },
  ExpiredToken: {
    cause: 'The temporary credentials (session token) have expired.',
    fix: "Use long-lived keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or leave both unset so the SDK refreshes an IAM role's credentials by itself.",
  },
  InvalidToken: {
    cause: 'The session token sent with the credentials is invalid.',
    fix: "Use long-lived keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or leave both unset so the SDK refreshes an IAM role's credentials by itself.",
  },
  CredentialsProviderError: {
    cause:
      'No credentials were found: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset, and this machine has no IAM role or AWS profile.',
    fix: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (on Render: the service's Environment tab).",
  },
  RequestTimeTooSkewed: {
    cause: "This machine's clock differs from S3's by more than 15 minutes, so S3 rejects every signed request.",
    fix: 'Synchronise the clock (enable NTP, for example `timedatectl set-ntp true`).',
  },
};

/**
 * Explains failures that mean the same whichever request hit them: network, credentials,
 * clock, wrong region, missing bucket, server errors. Undefined for failures whose meaning
 * depends on the request (AccessDenied, NotFound): the caller explains those.
 */
export function explainCommonFailure(facts: S3FailureFacts, context: FailureContext): Explanation | undefined {
  const { bucket, configuredRegion } = context;
  const regionDiffers = facts.bucketRegion !== undefined && facts.bucketRegion !== configuredRegion;
  if (regionDiffers || facts.code === 'WrongRegion') return explainWrongRegion(facts, context);

  const networkCause = NETWORK_CAUSES[facts.name];
  if (networkCause) return { cause: networkCause, fix: NETWORK_FIX };
  if (facts.code === 'Timeout') {
    return {
      cause:
        "The endpoint did not answer within the client's time limits: the address is wrong and a firewall silently drops the traffic, or S3 is down or overloaded.",
      fix: NETWORK_FIX,
    };
  }
  if (/^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(facts.name)) {
    return {
      cause: `The https (TLS) handshake with the endpoint failed (${facts.name}): the endpoint speaks plain http, or its certificate is not trusted.`,
      fix: NETWORK_FIX,
    };
  }

  const credentialExplanation = CREDENTIAL_EXPLANATIONS[facts.name];
  if (credentialExplanation) return credentialExplanation;

  if (facts.code === 'NoSuchBucket') {
    return {
      cause: `Bucket "${bucket}" does not exist at this endpoint.`,
      fix: `Create the bucket (S3 console → Create bucket, or \`aws s3 mb s3://${bucket}\`), or set AWS_BUCKET_NAME to an existing bucket's exact name. If the bucket exists with another provider, AWS_ENDPOINT_URL points at the wrong service.`,
    };
  }
  if (facts.code === 'ServerError') {
    return {
      cause: `S3 answered with a server error (${facts.summary}) even after the client's retries.`,
      fix: "The fault is on the storage side: try again in a few minutes and check your provider's status page (or the S3 server's logs if you host it). No setting needs to change if it passes later.",
    };
  }
  return undefined;
}

function explainWrongRegion(facts: S3FailureFacts, { bucket, configuredRegion }: FailureContext): Explanation {
  const actual = facts.bucketRegion;
  if (actual === undefined) {
    return {
      cause: `S3 says bucket "${bucket}" is not in AWS_REGION=${configuredRegion} (${facts.name}).`,
      fix: "Set AWS_REGION to the bucket's region (S3 console → the bucket → Properties → AWS Region).",
    };
  }
  if (actual === configuredRegion) {
    return {
      cause: `S3 redirected the request (${facts.name}) although AWS_REGION=${configuredRegion} matches the bucket's region: the endpoint does not serve this bucket.`,
      fix: 'For AWS itself leave AWS_ENDPOINT_URL unset; otherwise set it to the endpoint your provider gives for this bucket.',
    };
  }
  return {
    cause: `Bucket "${bucket}" is in region ${actual}, but the app signs its requests for ${configuredRegion} (AWS_REGION).`,
    fix: `Set AWS_REGION=${actual}.`,
  };
}

export type S3Permission = 's3:ListBucket' | 's3:PutObject' | 's3:GetObject' | 's3:DeleteObject';

const PERMISSION_EFFECTS: Record<S3Permission, { missing: string; consequence: string }> = {
  's3:ListBucket': {
    missing: 'No list permission',
    consequence: 'the app checks that S3 is up with this same request (HeadBucket), so it would report S3 as down',
  },
  's3:PutObject': {
    missing: 'No write permission',
    consequence: 'every upload would fail, and new images would only be kept on local disk',
  },
  's3:GetObject': {
    missing: 'No read permission',
    consequence: 'the app could not read back or verify the images it stores',
  },
  's3:DeleteObject': {
    missing: 'No delete permission',
    consequence: 'replaced and deleted images would stay in the bucket (and on the bill)',
  },
};

/** The credentials work but lack `permission`: say what that breaks and print the policy to grant. */
export function explainMissingPermission(permission: S3Permission, bucket: string): Explanation {
  const { missing, consequence } = PERMISSION_EFFECTS[permission];
  const resource = permission === 's3:ListBucket' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/*`;
  return {
    cause: `${missing}: the credentials are valid but may not use ${permission} on ${resource}; ${consequence}.`,
    fix: [
      'Attach this policy (exactly what VideoVote needs) to the IAM user or role whose keys the app uses,',
      'for example IAM → Users → the user → Add permissions → Create inline policy → JSON:',
      policyJson(leastPrivilegeIamPolicy(bucket)),
      'If it is already attached, look for an explicit "Deny" in the bucket policy; a bucket encrypted with',
      'SSE-KMS also needs kms:GenerateDataKey and kms:Decrypt on its key.',
    ].join('\n'),
  };
}

/** The last resort: name the request and the error so the operator can look it up. */
export function explainUnexpected(facts: S3FailureFacts, request: string): Explanation {
  return {
    cause: `S3 rejected ${request} with ${facts.summary}.`,
    fix: `Look up "${facts.name}" in your provider's S3 documentation, and check AWS_ENDPOINT_URL, AWS_REGION and AWS_BUCKET_NAME.`,
  };
}
