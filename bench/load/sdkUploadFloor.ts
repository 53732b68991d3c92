/**
 * The floor for a large upload: the AWS SDK's own multipart `Upload` (default part size and
 * queue) streaming a file from disk straight to the S3 server, from its own process. Nothing
 * an app does on the way can be faster than this.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import { serveRequests } from '../support/childScript.ts';
import { bucket, s3ClientFromEnv } from '../servers/benchS3Client.ts';

const s3 = s3ClientFromEnv();

serveRequests({ pid: process.pid }, async (request) => {
  const file = String(request.file);
  const { size } = await stat(file);
  const started = performance.now();
  await new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: `floor/${randomBytes(8).toString('hex')}.mp4`,
      Body: createReadStream(file),
      ContentType: 'video/mp4',
    },
  }).done();
  return { seconds: (performance.now() - started) / 1000, bytes: size };
});
