/**
 * Videos, thumbnails and votes through HTTP, stored in a real S3 server, on every available
 * database. Each rejection is checked to leave no object, file or row behind.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';
import { csrfTokenFor, signUp, TEST_PASSWORD, type Agent } from '../support/browserlessMember.ts';
import { makeImage, NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { makeMp4, makeWebm } from '../support/videoFixtures.ts';
import { listObjects, storedState } from '../support/storedState.ts';

const s3 = inject('s3');

interface Submission {
  title?: string;
  description?: string;
  url?: string;
  video?: { bytes: Buffer; filename: string };
  thumbnail?: { bytes: Buffer; filename: string };
}

async function submitVideo(agent: Agent, submission: Submission) {
  const token = await csrfTokenFor(agent, '/videos/new');
  let form = agent
    .post('/videos')
    .field('_csrf', token)
    .field('title', submission.title ?? 'A video')
    .field('description', submission.description ?? '')
    .field('url', submission.url ?? '');
  if (submission.video) form = form.attach('video', submission.video.bytes, submission.video.filename);
  if (submission.thumbnail) form = form.attach('thumbnail', submission.thumbnail.bytes, submission.thumbnail.filename);
  return form;
}

function videoIdFrom(location: string | undefined): number {
  const match = /^\/videos\/(\d+)$/.exec(location ?? '');
  if (!match?.[1]) throw new Error(`Not a video location: ${location}`);
  return Number(match[1]);
}

async function vote(agent: Agent, videoId: number) {
  const token = await csrfTokenFor(agent, `/videos/${videoId}`);
  return agent.post(`/videos/${videoId}/vote`).type('form').send({ _csrf: token });
}

function cardTitles(html: string): string[] {
  return [...html.matchAll(/<h3><a href="\/videos\/\d+">([^<]+)<\/a><\/h3>/g)].map((match) => match[1] ?? '');
}

describe.each(availableDatabases(inject('databaseUrlAvailable')))(`videos in S3 (${s3.kind}) with %s`, (database) => {
  let testApp: TestApp;
  let alice: Agent;
  let bob: Agent;
  beforeAll(async () => {
    testApp = await createTestApp({ database, s3, extraEnv: { MAX_IMAGE_SIZE_MB: '5' } });
    alice = await signUp(testApp.app, 'alice');
    bob = await signUp(testApp.app, 'bob');
  });
  afterAll(async () => testApp?.close());

  it('submits an uploaded MP4 with a thumbnail: both land in the bucket and the page plays and shows them', async () => {
    const mp4 = makeMp4(300 * 1024);
    const response = await submitVideo(alice, {
      title: 'Sunset <timelapse>',
      description: 'Shot on a phone',
      video: { bytes: mp4, filename: 'clip.mp4' },
      thumbnail: { bytes: await makeImage('jpeg', 320, 180), filename: 'thumb.jpg' },
    });
    expect(response.status).toBe(303);
    const page = await alice.get(response.headers.location!);
    expect(page.text).toContain('Video submitted.');
    expect(page.text).toContain('Sunset &lt;timelapse&gt;');
    const videoSrc = /<source src="([^"]+)" type="video\/mp4">/.exec(page.text)?.[1];
    expect(videoSrc).toMatch(new RegExp(`^${s3.endpoint}/${testApp.bucket}/uploads/u\\d+-[0-9a-f]{32}\\.mp4$`));
    const poster = /poster="([^"]+)"/.exec(page.text)?.[1];
    expect(poster).toMatch(new RegExp(`^${s3.endpoint}/${testApp.bucket}/thumbnails/u\\d+-[0-9a-f]{32}\\.webp$`));
    const served = await fetch(videoSrc!);
    expect(served.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await served.arrayBuffer()).equals(mp4)).toBe(true);
  });

  it('accepts WebM uploads too', async () => {
    const response = await submitVideo(alice, { title: 'WebM clip', video: { bytes: makeWebm(), filename: 'x.webm' } });
    expect(response.status).toBe(303);
    const page = await alice.get(response.headers.location!);
    expect(page.text).toMatch(/<source src="[^"]+\.webm" type="video\/webm">/);
  });

  it('submits a link video; without a thumbnail it shows the placeholder', async () => {
    const response = await submitVideo(alice, {
      title: 'Linked talk',
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    });
    expect(response.status).toBe(303);
    const page = await request(testApp.app).get(response.headers.location!);
    expect(page.text).toContain('href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"');
    expect(page.text).toContain('/static/img/thumbnails-placeholder.svg');
  });

  it('shows field errors with what was typed kept, storing nothing', async () => {
    const before = await storedState(testApp, s3);
    const noTitle = await submitVideo(alice, { title: '', description: 'kept text', url: 'ftp://example.com/x' });
    expect(noTitle.status).toBe(422);
    expect(noTitle.text).toContain('Please give your video a title.');
    expect(noTitle.text).toContain('Links must be full web addresses starting with http:// or https://.');
    expect(noTitle.text).toContain('kept text');
    const neither = await submitVideo(alice, { title: 'Nothing attached' });
    expect(neither.status).toBe(422);
    expect(neither.text).toContain('Paste a link to the video, or upload an MP4 or WebM file below.');
    expect(neither.text).toContain('value="Nothing attached"');
    const both = await submitVideo(alice, {
      title: 'Both',
      url: 'https://example.com/v',
      video: { bytes: makeMp4(), filename: 'a.mp4' },
    });
    expect(both.status).toBe(422);
    expect(both.text).toContain('Either link to a video or upload a file, not both.');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('refuses a text file renamed .mp4 with 415, storing nothing', async () => {
    const before = await storedState(testApp, s3);
    const response = await submitVideo(alice, {
      title: 'Fake',
      video: { bytes: NOT_AN_IMAGE.text, filename: 'movie.mp4' },
    });
    expect(response.status).toBe(415);
    expect(response.text).toContain('Please upload an MP4 or WebM video.');
    expect(response.text).toContain('value="Fake"');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('refuses a bad thumbnail with 415 and removes the video it had already stored', async () => {
    const before = await storedState(testApp, s3);
    const response = await submitVideo(alice, {
      title: 'Bad thumb',
      video: { bytes: makeMp4(), filename: 'a.mp4' },
      thumbnail: { bytes: NOT_AN_IMAGE.html, filename: 'thumb.png' },
    });
    expect(response.status).toBe(415);
    expect(response.text).toContain('Please upload a JPEG, PNG, WebP, GIF or AVIF image.');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('refuses an oversized thumbnail with 413 next to the thumbnail field', async () => {
    const before = await storedState(testApp, s3);
    const big = Buffer.concat([await makeImage('png'), Buffer.alloc(6 * 1024 * 1024)]);
    const response = await submitVideo(alice, {
      title: 'Huge thumb',
      url: 'https://example.com/v',
      thumbnail: { bytes: big, filename: 't.png' },
    });
    expect(response.status).toBe(413);
    expect(response.text).toContain('That file is too large. Images can be at most 5 MB.');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('one vote per member; voting again takes it back; the ranking follows', async () => {
    const first = videoIdFrom(
      (await submitVideo(alice, { title: 'Older video', url: 'https://example.com/older' })).headers.location,
    );
    const second = videoIdFrom(
      (await submitVideo(alice, { title: 'Newer video', url: 'https://example.com/newer' })).headers.location,
    );
    let home = await request(testApp.app).get('/');
    expect(cardTitles(home.text).indexOf('Newer video')).toBeLessThan(cardTitles(home.text).indexOf('Older video'));

    expect((await vote(bob, first)).status).toBe(303);
    const voted = await bob.get(`/videos/${first}`);
    expect(voted.text).toContain('▲ Voted');
    expect(voted.text).toContain('<span id="vote-count">1</span>');
    home = await request(testApp.app).get('/');
    expect(cardTitles(home.text)[0]).toBe('Older video');

    await vote(bob, first);
    const unvoted = await bob.get(`/videos/${first}`);
    expect(unvoted.text).toContain('<span id="vote-count">0</span>');
    home = await request(testApp.app).get('/');
    expect(cardTitles(home.text).indexOf('Newer video')).toBeLessThan(cardTitles(home.text).indexOf('Older video'));
    expect(second).toBeGreaterThan(first);
  });

  it('votes need a member and a CSRF token, and unknown videos are 404', async () => {
    const id = videoIdFrom(
      (await submitVideo(alice, { title: 'Guarded', url: 'https://example.com/g' })).headers.location,
    );
    expect((await request(testApp.app).post(`/videos/${id}/vote`)).status).toBe(401);
    expect((await bob.post(`/videos/${id}/vote`).type('form').send({})).status).toBe(403);
    expect((await vote(bob, 999_999)).status).toBe(404);
    expect((await request(testApp.app).get('/videos/999999')).status).toBe(404);
    expect((await request(testApp.app).get('/videos/not-a-number')).status).toBe(404);
  });

  it('lets only the owner replace the thumbnail (old object removed) or delete the video (objects removed)', async () => {
    const created = await submitVideo(alice, {
      title: 'Managed',
      video: { bytes: makeMp4(), filename: 'm.mp4' },
      thumbnail: { bytes: await makeImage('png', 64, 64, '#aa0000'), filename: 't.png' },
    });
    const id = videoIdFrom(created.headers.location);
    const oldThumbnail = (
      await testApp.db
        .selectFrom('videos')
        .innerJoin('stored_files', 'stored_files.id', 'videos.thumbnail_file_id')
        .select('stored_files.key')
        .where('videos.id', '=', id)
        .executeTakeFirstOrThrow()
    ).key;
    const keysBefore = await listObjects(s3, testApp.bucket!);

    const bobToken = await csrfTokenFor(bob, `/videos/${id}`);
    const stolen = await bob
      .post(`/videos/${id}/thumbnail`)
      .field('_csrf', bobToken)
      .attach('thumbnail', await makeImage('png'), 'x.png');
    expect(stolen.status).toBe(403);
    expect((await bob.post(`/videos/${id}/delete`).type('form').send({ _csrf: bobToken })).status).toBe(403);
    expect(await listObjects(s3, testApp.bucket!)).toEqual(keysBefore);

    const aliceToken = await csrfTokenFor(alice, `/videos/${id}`);
    const replaced = await alice
      .post(`/videos/${id}/thumbnail`)
      .field('_csrf', aliceToken)
      .attach('thumbnail', await makeImage('webp', 64, 64, '#00aa00'), 'new.webp');
    expect(replaced.status).toBe(303);
    const keysAfterReplace = await listObjects(s3, testApp.bucket!);
    expect(keysAfterReplace).not.toContain(oldThumbnail);
    expect(keysAfterReplace.length).toBe(keysBefore.length);

    const deleted = await alice.post(`/videos/${id}/delete`).type('form').send({ _csrf: aliceToken });
    expect(deleted.status).toBe(303);
    expect((await request(testApp.app).get(`/videos/${id}`)).status).toBe(404);
    expect((await listObjects(s3, testApp.bucket!)).length).toBe(keysBefore.length - 2);
  });

  it("lists a member's videos on their public page", async () => {
    await submitVideo(bob, { title: 'Bob on a bike', url: 'https://example.com/bike' });
    const page = await request(testApp.app).get('/users/bob');
    expect(cardTitles(page.text)).toContain('Bob on a bike');
    const empty = await signUp(testApp.app, 'quiet');
    expect((await empty.get('/users/quiet')).text).toContain('quiet has not submitted any videos yet.');
  });

  it('paginates the home page and rejects nonsense page numbers', async () => {
    expect((await request(testApp.app).get('/?page=0')).status).toBe(400);
    expect((await request(testApp.app).get('/?page=abc')).status).toBe(400);
    const far = await request(testApp.app).get('/?page=500');
    expect(far.status).toBe(200);
    expect(far.text).toContain('There are no more videos.');
  });

  it('deleting an account needs the password and removes every object of theirs from the bucket', async () => {
    const carol = await signUp(testApp.app, 'carol');
    const token = await csrfTokenFor(carol, '/profile');
    await carol
      .post('/profile/avatar')
      .field('_csrf', token)
      .attach('avatar', await makeImage('png'), 'me.png');
    const mine = videoIdFrom(
      (
        await submitVideo(carol, {
          title: 'Carol clip',
          video: { bytes: makeMp4(), filename: 'c.mp4' },
          thumbnail: { bytes: await makeImage('jpeg'), filename: 'c.jpg' },
        })
      ).headers.location,
    );
    const aliceVideo = videoIdFrom(
      (await submitVideo(alice, { title: 'Voted by carol', url: 'https://example.com/vbc' })).headers.location,
    );
    await vote(carol, aliceVideo);
    const carolId = (
      await testApp.db.selectFrom('users').select('id').where('username', '=', 'carol').executeTakeFirstOrThrow()
    ).id;
    const carolKeys = () =>
      listObjects(s3, testApp.bucket!).then((keys) => keys.filter((key) => key.includes(`/u${carolId}-`)));
    expect(await carolKeys()).toHaveLength(3);

    const wrong = await carol.post('/profile/delete').type('form').send({ _csrf: token, password: 'not it' });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('That password is not right, so your account was not deleted.');

    const gone = await carol.post('/profile/delete').type('form').send({ _csrf: token, password: TEST_PASSWORD });
    expect(gone.status).toBe(303);
    expect(await carolKeys()).toEqual([]);
    expect((await request(testApp.app).get('/users/carol')).status).toBe(404);
    expect((await request(testApp.app).get(`/videos/${mine}`)).status).toBe(404);
    expect((await alice.get(`/videos/${aliceVideo}`)).text).toContain('<span id="vote-count">0</span>');
    expect(await testApp.db.selectFrom('stored_files').where('owner_id', '=', carolId).execute()).toEqual([]);
  });
});
