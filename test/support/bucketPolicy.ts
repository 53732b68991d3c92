/** The public-read policy docs/s3-setup.md and storage:check give operators, as JSON for PutBucketPolicy. */
import { policyJson, publicReadBucketPolicy } from '../../src/storage/diagnosis/policies.ts';

export function publicReadPolicy(bucket: string): string {
  return policyJson(publicReadBucketPolicy(bucket));
}
