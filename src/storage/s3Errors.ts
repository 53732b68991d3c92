/**
 * Maps the many shapes of SDK and network errors onto our stable StorageError codes, so
 * callers can tell a configuration mistake (fix the env vars) from a transient fault
 * (retry later) without string-matching SDK internals themselves.
 */
import { StorageError, type StorageErrorCode } from './contract.ts';

interface SdkLikeError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const BY_NAME: Record<string, StorageErrorCode> = {
  NoSuchKey: 'NotFound',
  NoSuchBucket: 'NoSuchBucket',
  InvalidAccessKeyId: 'InvalidCredentials',
  SignatureDoesNotMatch: 'InvalidCredentials',
  InvalidToken: 'InvalidCredentials',
  ExpiredToken: 'InvalidCredentials',
  CredentialsProviderError: 'InvalidCredentials',
  AccessDenied: 'AccessDenied',
  AllAccessDisabled: 'AccessDenied',
  PermanentRedirect: 'WrongRegion',
  AuthorizationHeaderMalformed: 'WrongRegion',
  IllegalLocationConstraintException: 'WrongRegion',
  TimeoutError: 'Timeout',
  RequestTimeout: 'Timeout',
  RequestTimeoutException: 'Timeout',
  ECONNREFUSED: 'Unreachable',
  ECONNRESET: 'Unreachable',
  ENOTFOUND: 'Unreachable',
  EHOSTUNREACH: 'Unreachable',
  ENETUNREACH: 'Unreachable',
  EAI_AGAIN: 'Unreachable',
  EPIPE: 'Unreachable',
  ETIMEDOUT: 'Timeout',
  SlowDown: 'ServerError',
  InternalError: 'ServerError',
  ServiceUnavailable: 'ServerError',
};

export function classifyS3Error(error: unknown): StorageErrorCode {
  const candidate = (error ?? {}) as SdkLikeError;
  for (const name of [candidate.name, candidate.code, candidate.Code]) {
    if (name !== undefined && BY_NAME[name] !== undefined) return BY_NAME[name];
  }
  const status = candidate.$metadata?.httpStatusCode;
  if (status === 404) return 'NotFound';
  if (status === 403) return 'AccessDenied';
  if (status === 301) return 'WrongRegion';
  if (status !== undefined && status >= 500) return 'ServerError';
  return 'Unknown';
}

export function toStorageError(error: unknown, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = classifyS3Error(error);
  const detail = (error as SdkLikeError | undefined)?.name ?? 'error';
  return new StorageError(code, `S3 ${action} failed: ${code} (${detail})`, { cause: error });
}
