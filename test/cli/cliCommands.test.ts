/**
 * Every operator command as an operator runs it (a child process): `--help` prints its usage
 * and touches nothing, an unknown option exits 2, and `images:regenerate --dry-run` (typed the
 * way its usage reads, with npm's literal `--`s) writes nothing to the bucket or the database.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');
const COMMANDS = {
  'storage:check': 'src/cli/storageCheck.ts',
  'storage:sync': 'src/cli/storageSync.ts',
  'storage:migrate': 'src/cli/storageMigrate.ts',
  'storage:gc': 'src/cli/storageGc.ts',
  'storage:verify': 'src/cli/storageVerify.ts',
  'storage:usage': 'src/cli/storageUsage.ts',
  'images:regenerate': 'src/cli/regenerateImages.ts',
};
const s3 = inject('s3');

let workDir: string;
let bucket: string;
beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-cli-'));
  bucket = `cli-${randomBytes(4).toString('hex')}`;
  await createBucket(s3, bucket);
});
afterAll(async () => fs.rm(workDir, { recursive: true, force: true }));

function environment(dataDir: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOTENV_CONFIG_PATH: path.join(workDir, 'no-such.env'),
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
    USE_CLOUD_STORAGE: 'true',
    AWS_BUCKET_NAME: bucket,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

async function run(script: string, args: string[], dataDir: string) {
  return promisify(execFile)(process.execPath, [script, ...args], {
    cwd: PROJECT_DIR,
    env: environment(dataDir),
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe.each(Object.entries(COMMANDS))('npm run %s', (name, script) => {
  it('--help prints the usage, exits 0 and opens nothing', async () => {
    const dataDir = path.join(workDir, `help-${name}`);
    const { code, stdout, stderr } = await run(script, ['--', '--help'], dataDir);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: npm run ${name}`));
    expect(stderr).toBe('');
    // Not even the embedded database was opened (it would have created DATA_DIR).
    await expect(fs.stat(dataDir)).rejects.toThrow(/ENOENT/);
    expect(await listObjects(s3, bucket)).toEqual([]);
  });

  it('an unknown option prints the reason and the usage, and exits 2', async () => {
    const dataDir = path.join(workDir, `unknown-${name}`);
    const { code, stderr } = await run(script, ['--', '--everything'], dataDir);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--everything'");
    expect(stderr).toContain(`Usage: npm run ${name}`);
    await expect(fs.stat(dataDir)).rejects.toThrow(/ENOENT/);
  });
});

describe('npm run images:regenerate', () => {
  it('-- --dry-run -- --limit 1 lists one image and writes nothing; without --dry-run, --limit 1 rebuilds one', async () => {
    const dataDir = path.join(workDir, 'regenerate');
    const client = makeS3Client(s3);
    const db = await openDatabase({ databaseUrl: undefined, dataDir });
    // Two images as the app stored them before the pipeline: the original bytes, no variants.
    for (const colour of ['#aa3300', '#0033aa']) {
      const bytes = await makeImage('png', 120, 120, colour);
      const key = `avatars/u9-${randomBytes(16).toString('hex')}.png`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: 'image/png' }));
      await db
        .insertInto('stored_files')
        .values({
          owner_id: 9,
          folder: 'avatars',
          key,
          location: 's3',
          content_type: 'image/png',
          bytes: bytes.length,
          sha256: 'x'.repeat(64),
        })
        .execute();
    }
    const rows = () => db.selectFrom('stored_files').selectAll().orderBy('id').execute();
    const rowsBefore = await rows();
    const objectsBefore = await listObjects(s3, bucket);
    await db.destroy();

    const dry = await run('src/cli/regenerateImages.ts', ['--', '--dry-run', '--', '--limit', '1'], dataDir);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run: 1 of 2 outdated image(s) would be regenerated');
    expect(dry.stdout).toContain(rowsBefore[0]!.key);
    expect(dry.stdout).not.toContain(rowsBefore[1]!.key);
    expect(await listObjects(s3, bucket)).toEqual(objectsBefore);
    const reopened = await openDatabase({ databaseUrl: undefined, dataDir });
    expect(await reopened.selectFrom('stored_files').selectAll().orderBy('id').execute()).toEqual(rowsBefore);
    await reopened.destroy();

    const real = await run('src/cli/regenerateImages.ts', ['--', '--limit', '1'], dataDir);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('Regenerated 1 of 1; 0 failed.');
    expect(real.stdout).toContain('1 more image(s) wait for the next run.');
    const after = await openDatabase({ databaseUrl: undefined, dataDir });
    const rowsAfter = await after.selectFrom('stored_files').selectAll().orderBy('id').execute();
    await after.destroy();
    expect(rowsAfter[0]!.key).not.toBe(rowsBefore[0]!.key);
    expect(rowsAfter[1]).toEqual(rowsBefore[1]);
    const objectsAfter = await listObjects(s3, bucket);
    expect(objectsAfter).not.toContain(rowsBefore[0]!.key);
    expect(objectsAfter).toContain(rowsBefore[1]!.key);
  }, 120_000);
});
