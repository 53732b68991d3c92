/** The bucket policy the README tells operators to apply, so public URLs load on MinIO too. */
export function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicReadGetObject',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: ['avatars', 'thumbnails', 'uploads'].map((folder) => `arn:aws:s3:::${bucket}/${folder}/*`),
      },
    ],
  });
}
