/** The public-read policy the README and storage:check give operators, as JSON for PutBucketPolicy. */
import { policyJson, publicReadBucketPolicy } from '../../src/storage/diagnosis/policies.ts';

export function publicReadPolicy(bucket: string): string {
  return policyJson(publicReadBucketPolicy(bucket));
}
