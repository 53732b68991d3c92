/**
 * The naive port of the seed's avatar upload, as the benchmark's baseline: multer's memory
 * storage, sharp, and one PutObject per variant — the code people write first. It makes the
 * same four WebP sizes the app makes (same sizes, crop and quality), so both sides do the same
 * image work; what differs is how: no job queue, no shrink-on-load, every request decoding at
 * once.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import express from 'express';
import multer from 'multer';
import sharp from 'sharp';
import { IMAGE_SPECS, WEBP_QUALITY } from '../../src/images/variantSpecs.ts';
import { serveRequests } from '../support/childScript.ts';
import { bucket, s3ClientFromEnv } from './benchS3Client.ts';

const s3 = s3ClientFromEnv();
const app = express();
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 10 * 1024 * 1024 } });

app.post('/avatar', upload.single('avatar'), async (req, res) => {
  if (!req.file) return void res.status(400).send('no file');
  const id = randomBytes(8).toString('hex');
  const image = sharp(req.file.buffer).rotate();
  await Promise.all(
    IMAGE_SPECS.avatars.sizes.map(async ({ width, height }) => {
      const body = await image
        .clone()
        .resize(width, height, { fit: 'cover', position: 'attention' })
        .webp({ quality: WEBP_QUALITY })
        .toBuffer();
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `naive/${id}-${width}.webp`,
          Body: body,
          ContentType: 'image/webp',
        }),
      );
    }),
  );
  res.status(201).json({ id });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveRequests({ port: typeof address === 'object' && address ? address.port : 0 }, async () => ({}));
});
