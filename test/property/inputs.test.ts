/**
 * Property tests (fast-check) for the pure functions that parse or build keys, URLs, ranges,
 * usernames and form fields: whatever they are given, they answer or refuse with their own
 * error, and never produce a key, a path or a URL outside its folder.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Request } from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSignup } from '../../src/members/accounts.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { assertSafeKey, isSafeKey, StorageError, type StorageAdapter } from '../../src/storage/contract.ts';
import { mediaPathFor } from '../../src/storage/imageUrls.ts';
import { contentKey, MEDIA_FOLDERS, newObjectKey } from '../../src/storage/keys.ts';
import { readVideoForm, TITLE_MAX, validateVideoForm } from '../../src/videos/videoForm.ts';
import { hasBearerToken } from '../../src/web/bearerToken.ts';
import { hasControlCharacters, withoutControlCharacters } from '../../src/refusals/controlCharacters.ts';
import { requestedRange } from '../../src/web/requestedRange.ts';

const RUNS = { numRuns: 300 };
/** Strings made of the characters that matter to paths, keys and URLs, plus any unicode. */
const pathish = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', '\\', '%', '2', 'e', 'f', '\u0000', ' ', ':') }),
  fc.string({ unit: 'binary' }),
);
const folder = fc.constantFrom(...MEDIA_FOLDERS);
const ROOT = path.resolve('/srv/vv-root');

/** Where the local adapter would put a key: root, then its segments. */
const fileFor = (key: string) => path.join(ROOT, ...key.split('/'));
const insideFolder = (key: string, expectedFolder: string) =>
  fileFor(key).startsWith(path.join(ROOT, expectedFolder) + path.sep);

describe('object keys', () => {
  it('newObjectKey refuses a bad prefix or extension, or builds a safe key one level inside its folder', () => {
    fc.assert(
      fc.property(folder, pathish, pathish, (f, prefix, extension) => {
        let key: string;
        try {
          key = newObjectKey(f, prefix, extension);
        } catch (error) {
          expect((error as Error).message).toMatch(/^Invalid key (prefix|extension)/);
          return;
        }
        expect(isSafeKey(key)).toBe(true);
        expect(key.split('/')).toHaveLength(2);
        expect(insideFolder(key, f)).toBe(true);
      }),
      RUNS,
    );
  });

  it('contentKey refuses anything but a hex SHA-256, and stays inside its folder', () => {
    const sha = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), pathish);
    fc.assert(
      fc.property(folder, fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/), sha, (f, prefix, hash) => {
        let key: string;
        try {
          key = contentKey(f, prefix, hash, 'webp');
        } catch (error) {
          expect((error as Error).message).toBe('contentKey needs a hex SHA-256');
          return;
        }
        expect(key).toBe(`${f}/${prefix}-${hash.slice(0, 32)}.webp`);
        expect(insideFolder(key, f)).toBe(true);
      }),
      RUNS,
    );
  });

  it('assertSafeKey throws only StorageError, and a key it accepts never leaves its first folder', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          pathish,
          fc.tuple(folder, pathish).map(([f, rest]) => `${f}/${rest}`),
        ),
        (key) => {
          try {
            assertSafeKey(key);
          } catch (error) {
            expect(error).toBeInstanceOf(StorageError);
            return;
          }
          expect(insideFolder(key, key.split('/')[0]!)).toBe(true);
          expect(hasControlCharacters(key)).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('URLs of stored files', () => {
  const safeKey = fc
    .tuple(folder, fc.array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), { minLength: 1, maxLength: 3 }))
    .map(([f, segments]) => `${f}/${segments.join('/')}`)
    .filter(isSafeKey);

  it('mediaPathFor and the local adapter build a URL under their prefix that decodes back to the key', () => {
    const local = createLocalAdapter({ rootDir: ROOT, publicPath: '/static/' });
    fc.assert(
      fc.property(safeKey, (key) => {
        for (const [url, prefix] of [
          [mediaPathFor(key), '/media/'],
          [local.urlFor(key), '/static/'],
        ] as const) {
          expect(url.startsWith(prefix)).toBe(true);
          const segments = url.slice(prefix.length).split('/');
          expect(segments.map(decodeURIComponent).join('/')).toBe(key);
          expect(segments.some((segment) => segment === '..' || segment === '.')).toBe(false);
        }
      }),
      RUNS,
    );
  });
});

describe('the local adapter with any key', () => {
  let rootDir: string;
  let local: StorageAdapter;
  beforeAll(async () => {
    rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-prop-'));
    await fs.mkdir(path.join(rootDir, 'root'));
    await fs.writeFile(path.join(rootDir, 'outside.txt'), 'OUTSIDE');
    local = createLocalAdapter({ rootDir: path.join(rootDir, 'root'), publicPath: '/static' });
  });
  afterAll(async () => fs.rm(rootDir, { recursive: true, force: true }));

  it('get() fails only with StorageError and never reads beside its root', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(pathish, fc.constant('../outside.txt'), fc.constant('avatars/../../outside.txt')),
        async (key) => {
          const outcome = await local.get(key).then(
            () => 'read',
            (error: unknown) => error,
          );
          expect(outcome).toBeInstanceOf(StorageError);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('Range headers', () => {
  const header = fc.oneof(
    fc.string(),
    fc.tuple(fc.option(fc.nat()), fc.option(fc.nat())).map(([start, end]) => `bytes=${start ?? ''}-${end ?? ''}`),
    fc
      .array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 })
      .map((pairs) => `bytes=${pairs.map(([a, b]) => `${a}-${b}`).join(',')}`),
    fc.constantFrom('bytes=-0', 'bytes=0-', 'bytes=--1', 'items=0-1', 'bytes=1e3-', 'bytes=0x10-', 'bytes= 1 - 2 '),
  );

  it('always give one range within the object, "unsatisfiable", or the whole object', () => {
    fc.assert(
      fc.property(
        header,
        fc.option(fc.constantFrom('"etag"', '"other"')),
        fc.nat({ max: 1e9 }),
        (range, ifRange, size) => {
          const req = Object.create(express.request) as Request;
          req.headers = { range, ...(ifRange !== null && { 'if-range': ifRange }) };
          const result = requestedRange(req, size, '"etag"');
          if (result === undefined || result === 'unsatisfiable') return;
          expect(Number.isInteger(result.start) && Number.isInteger(result.end)).toBe(true);
          expect(result.start).toBeGreaterThanOrEqual(0);
          expect(result.start).toBeLessThanOrEqual(result.end);
          expect(result.end).toBeLessThan(size);
        },
      ),
      RUNS,
    );
  });
});

describe('usernames and form fields', () => {
  it('validateSignup never throws, and a name it accepts has only letters, digits, "_" and "-"', () => {
    fc.assert(
      fc.property(pathish, fc.string({ unit: 'binary', maxLength: 300 }), (username, password) => {
        const errors = validateSignup(username, password);
        if (errors.username === undefined) {
          expect(username).toMatch(/^[A-Za-z0-9_-]{3,30}$/);
          expect(hasControlCharacters(username)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('the video form never throws, and what it accepts fits its rules', () => {
    const text = fc.oneof(pathish, fc.string({ unit: 'grapheme', maxLength: 200 }), fc.webUrl());
    fc.assert(
      fc.property(
        fc.record({ title: text, description: text, url: fc.oneof(fc.constant(''), text) }, { requiredKeys: [] }),
        fc.boolean(),
        (fields, hasVideoFile) => {
          const values = readVideoForm(fields);
          const errors = validateVideoForm(values, hasVideoFile);
          if (Object.keys(errors).length > 0) return;
          expect(values.title.length).toBeGreaterThan(0);
          expect(values.title.length).toBeLessThanOrEqual(TITLE_MAX);
          expect(hasControlCharacters(values.title)).toBe(false);
          expect(hasControlCharacters(values.description, { multiline: true })).toBe(false);
          if (hasVideoFile) expect(values.url).toBe('');
          else expect(new URL(values.url).protocol).toMatch(/^https?:$/);
        },
      ),
      RUNS,
    );
  });

  it('withoutControlCharacters leaves none, changes nothing clean, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (value, multiline) => {
        const cleaned = withoutControlCharacters(value, { multiline });
        expect(hasControlCharacters(cleaned, { multiline })).toBe(false);
        expect(withoutControlCharacters(cleaned, { multiline })).toBe(cleaned);
        if (!hasControlCharacters(value, { multiline })) expect(cleaned).toBe(value);
      }),
      RUNS,
    );
  });

  it('a bearer token is accepted only when it is exactly the configured one', () => {
    const token = 'the-configured-health-token';
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.constant(`bearer ${token}`),
        ),
        (header) => {
          const req = {
            get: (name: string) => (name.toLowerCase() === 'authorization' ? header : undefined),
          } as Request;
          const accepted = hasBearerToken(req, token);
          expect(accepted).toBe(/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] === token);
          expect(hasBearerToken(req, undefined)).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
