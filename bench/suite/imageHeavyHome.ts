/**
 * The home page the page benchmarks load: members with avatars and videos with thumbnails,
 * every image uploaded through the running app into S3, so the page is as heavy as a real one.
 */
import { log } from '../support/log.ts';
import { writePhotoFiles } from './photoFiles.ts';
import { startHelper, type SuiteContext } from './suiteContext.ts';

export async function seedImageHeavyHome(
  context: SuiteContext,
  origin: string,
  size: { members: number; cards: number },
): Promise<void> {
  const loader = await startHelper(context, 'bench/load/uploadLoad.ts');
  const photos = await writePhotoFiles(context, size.members, 'small');
  await loader.ask({ cmd: 'signUp', origin, count: size.members });
  await loader.ask({
    cmd: 'avatars',
    target: 'app',
    files: photos.paths,
    uploads: size.members,
    concurrency: size.members,
  });
  await loader.ask({ cmd: 'linkVideos', count: size.cards, files: photos.paths, concurrency: 4 });
  await loader.stop();
  log(`seeded ${size.members} members with avatars and ${size.cards} videos with thumbnails stored in S3`);
}
