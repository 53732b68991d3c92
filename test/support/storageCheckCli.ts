/** Runs `npm run storage:check` as an operator would, against a bucket on a test S3 server. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { S3Connection } from './s3Server.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  exitCode: number | null;
  output: string;
}

export function runStorageCheck(
  s3: S3Connection,
  bucket: string,
  extraEnv: Record<string, string> = {},
): Promise<CliRun> {
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    USE_CLOUD_STORAGE: 'true',
    AWS_BUCKET_NAME: bucket,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    // Set but empty, so a developer's .env cannot slip a CDN or another mode into the run.
    CDN_BASE_URL: '',
    IMAGE_URL_MODE: '',
    VIDEO_URL_MODE: '',
    SIGNED_URL_WINDOW_MINUTES: '',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/storageCheck.ts'],
      { cwd: REPO_ROOT, env, timeout: 25_000 },
      (error, stdout, stderr) => {
        resolve({
          exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}
