// Temporary: the app with sample data on a fixed port, for Lighthouse and screenshots.
import { csrfTokenFor, signUp, uploadAvatar } from './test/support/browserlessMember.ts';
import { makeImage } from './test/support/imageFixtures.ts';
import { createTestApp } from './test/support/testApp.ts';
const testApp = await createTestApp();
const carol = await signUp(testApp.app, 'carol-on-phone');
await uploadAvatar(carol, await makeImage('jpeg', 400, 400, '#e8590c'), 'me.jpg');
const ids: number[] = [];
for (const [title, color] of [['Kite surfing at dawn', '#1971c2'], ['The harbour at night', '#2f9e44'], ['A very long title about a trip: Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch', '#c2255c']] as const) {
  const token = await csrfTokenFor(carol, '/videos/new');
  const r = await carol.post('/videos').field('_csrf', token).field('title', title).field('url', 'https://example.com/v').field('description', 'Pasted: https://www.example.com/watch/a-very-long-path-segment-without-spaces-a-very-long-path-segment?v=1').attach('thumbnail', await makeImage('jpeg', 1280, 720, color), { filename: 't.jpg', contentType: 'image/jpeg' });
  ids.push(Number(r.headers.location?.split('/').pop()));
}
testApp.app.listen(Number(process.env.PORT ?? 4555), '127.0.0.1', () => console.log('listening', ids));
