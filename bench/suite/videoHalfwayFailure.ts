/**
 * The fallback the video benchmark must not have bought its speed with: S3 fails halfway
 * through a form video upload (a proxy in front of it resets every connection once half the
 * file has gone up) and the upload still ends 303, the whole file on the app's local disk and
 * a copy to S3 owed in its outbox (`/healthz` storage.pending). One upload, on its own app;
 * the run fails if any of that does not hold. Its time is reported against the same upload
 * with S3 up, from the pass-through rounds.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_HEALTHZ_AUTH } from '../support/appProcess.ts';
import { startCuttingProxy } from '../support/cuttingProxy.ts';
import { freshBucket, scratchDir, startApp, startHelper, type SuiteContext } from './suiteContext.ts';

export interface HalfwayFailure {
  seconds: number;
  /** Files under the app's local uploads/, with their sizes. */
  localFiles: number[];
  /** Copies to S3 the app owes, as /healthz reports them. */
  owed: number;
}

async function owedCopies(origin: string): Promise<number> {
  const response = await fetch(`${origin}/healthz`, { headers: BENCH_HEALTHZ_AUTH.headers });
  const health = (await response.json()) as { storage?: { pending?: { count?: number } } };
  return health.storage?.pending?.count ?? 0;
}

export async function measureHalfwayFailure(
  context: SuiteContext,
  file: string,
  bytes: number,
): Promise<HalfwayFailure> {
  const proxy = await startCuttingProxy(context.s3.endpoint);
  context.defer(() => proxy.close());
  const workDir = await scratchDir(context, 'video-halfway');
  const app = await startApp(context, {
    workDir,
    bucket: await freshBucket(context),
    extraEnv: { AWS_ENDPOINT_URL: proxy.endpoint },
  });
  const loader = await startHelper(context, 'bench/load/uploadLoad.ts');
  await loader.ask({ cmd: 'signUp', origin: app.origin, count: 1 });
  proxy.arm(Math.floor(bytes / 2));
  const { seconds } = await loader.ask<{ seconds: number }>({ cmd: 'video', target: 'app', file });
  if (!proxy.cut()) throw new Error('S3 was to fail halfway through the video, but the upload never got that far');

  const uploadsDir = path.join(app.localStorageDir, 'uploads');
  const localFiles = await Promise.all(
    (await readdir(uploadsDir).catch(() => [])).map(async (name) => (await stat(path.join(uploadsDir, name))).size),
  );
  if (localFiles.length !== 1 || localFiles[0] !== bytes)
    throw new Error(
      `S3 failed halfway and the video is not whole on local disk (files: ${localFiles.join(', ') || 'none'})`,
    );
  // The outbox is recounted every few seconds.
  let owed = 0;
  for (let attempt = 0; attempt < 40 && owed === 0; attempt++) {
    owed = await owedCopies(app.origin);
    if (owed === 0) await sleep(250);
  }
  if (owed < 1) throw new Error('S3 failed halfway and the locally stored video is not owed to S3');
  return { seconds, localFiles, owed };
}
