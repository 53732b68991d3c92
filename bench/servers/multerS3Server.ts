/**
 * The standard streaming engine as the benchmark's baseline: Express with multer-s3, which
 * pipes the file part into the AWS SDK's multipart `Upload` as it arrives.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import multer from 'multer';
import multerS3 from 'multer-s3';
import { serveRequests } from '../support/childScript.ts';
import { bucket, s3ClientFromEnv } from './benchS3Client.ts';

const app = express();
const upload = multer({
  storage: multerS3({
    s3: s3ClientFromEnv(),
    bucket,
    contentType: multerS3.AUTO_CONTENT_TYPE,
    key: (_req, _file, done) => done(null, `multer-s3/${randomBytes(8).toString('hex')}.mp4`),
  }),
  limits: { fileSize: 1024 * 1024 * 1024 },
});

app.post('/video', upload.single('video'), (req, res) => {
  if (!req.file) return void res.status(400).send('no file');
  res.status(201).json({ key: (req.file as Express.MulterS3.File).key });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveRequests({ port: typeof address === 'object' && address ? address.port : 0 }, async () => ({}));
});
