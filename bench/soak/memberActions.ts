/**
 * What one simulated member does, one thing at a time: read pages, sign up, replace the
 * avatar (form or direct), submit a video (form or direct), replace a thumbnail, vote. Each
 * upload is recorded with the answer the member got; the redirect after a success is followed,
 * as a browser would, so the page the member lands on is part of the traffic too.
 */
import { HttpMember, textOf, type Reply } from '../support/httpMember.ts';
import { directAvatarUpload, directVideoUpload, type DirectOutcome } from './directFlows.ts';
import type { UploadAttempt, UploadKind } from './trafficReport.ts';

export interface Fixtures {
  images: Buffer[];
  formVideo: Buffer;
  directVideo: Buffer;
}

/** Shared by every simulated member of the traffic process. */
export interface TrafficState {
  origin: string;
  runId: string;
  fixtures: Fixtures;
  members: string[];
  videoIds: number[];
  uploads: UploadAttempt[];
  random(): number;
}

export interface Actor {
  member: HttpMember;
  ownVideos: number[];
}

export type Action = (state: TrafficState, actor: Actor) => Promise<void>;

const pick = <T>(state: TrafficState, items: readonly T[]): T | undefined =>
  items[Math.floor(state.random() * items.length)];

export async function signUpMember(state: TrafficState): Promise<HttpMember> {
  const username = `soak-${state.runId}-${state.members.length}`;
  state.members.push(username);
  return HttpMember.signUp(state.origin, username);
}

export const viewPages: Action = async (state, actor) => {
  const visitor = state.random() < 0.5 ? HttpMember.visitor(state.origin) : actor.member;
  await visitor.send('GET', '/');
  const member = pick(state, state.members);
  if (member) await visitor.send('GET', `/users/${member}`);
  const video = pick(state, state.videoIds);
  if (video !== undefined) await visitor.send('GET', `/videos/${video}`);
};

export const signUp: Action = async (state, actor) => {
  actor.member = await signUpMember(state);
  actor.ownVideos = [];
};

export const vote: Action = async (state, actor) => {
  const video = pick(state, state.videoIds);
  if (video === undefined) return;
  const body = new URLSearchParams({ _csrf: actor.member.csrfToken }).toString();
  await actor.member.send(
    'POST',
    `/videos/${video}/vote`,
    { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    [Buffer.from(body)],
  );
};

export const avatarByForm: Action = (state, actor) =>
  recorded(state, actor, 'avatar-form', async () => formAvatar(state, actor));

export const avatarDirect: Action = (state, actor) =>
  recorded(state, actor, 'avatar-direct', async () => {
    const outcome = await directAvatarUpload(actor.member, imageFor(state));
    if (outcome.ended !== 'use-form') return fromDirect(outcome);
    return { ...(await formAvatar(state, actor)), viaForm: true };
  });

export const videoByForm: Action = (state, actor) =>
  recorded(state, actor, 'video-form', async () => formVideo(state, actor));

export const videoDirect: Action = (state, actor) =>
  recorded(state, actor, 'video-direct', async () => {
    const title = `Direct clip ${state.runId}`;
    const outcome = await directVideoUpload(actor.member, title, state.fixtures.directVideo);
    if (outcome.ended === 'use-form') return { ...(await formVideo(state, actor)), viaForm: true };
    const result = fromDirect(outcome);
    const videoId = outcome.ended === 'stored' ? Number(outcome.answer.videoId) : undefined;
    if (videoId !== undefined && Number.isSafeInteger(videoId)) {
      state.videoIds.push(videoId);
      actor.ownVideos.push(videoId);
      return { ...result, videoId, videoBytes: state.fixtures.directVideo.length, withThumbnail: false };
    }
    return result.accepted ? { ...result, accepted: false, why: 'complete named no video' } : result;
  });

export const replaceThumbnail: Action = async (state, actor) => {
  const videoId = pick(state, actor.ownVideos);
  if (videoId === undefined) return;
  await recorded(state, actor, 'thumbnail', async () => {
    const reply = await actor.member.postForm(
      `/videos/${videoId}/thumbnail`,
      { _csrf: actor.member.csrfToken },
      {
        field: 'thumbnail',
        fileName: 'thumb.jpg',
        contentType: 'image/jpeg',
        bytes: imageFor(state),
      },
    );
    return { ...(await followRedirect(actor, reply, `/videos/${videoId}`)), videoId };
  });
};

type Outcome = Pick<
  UploadAttempt,
  'accepted' | 'status' | 'why' | 'videoId' | 'videoBytes' | 'withThumbnail' | 'viaForm'
>;

async function formAvatar(state: TrafficState, actor: Actor): Promise<Outcome> {
  const reply = await actor.member.postForm(
    '/profile/avatar',
    { _csrf: actor.member.csrfToken },
    {
      field: 'avatar',
      fileName: 'me.jpg',
      contentType: 'image/jpeg',
      bytes: imageFor(state),
    },
  );
  return followRedirect(actor, reply, '/profile');
}

async function formVideo(state: TrafficState, actor: Actor): Promise<Outcome> {
  const withThumbnail = state.random() < 0.7;
  const files = [
    ...(withThumbnail
      ? [{ field: 'thumbnail', fileName: 'thumb.jpg', contentType: 'image/jpeg', bytes: imageFor(state) }]
      : []),
    { field: 'video', fileName: 'clip.mp4', contentType: 'video/mp4', bytes: state.fixtures.formVideo },
  ];
  const reply = await actor.member.postForm(
    '/videos',
    { _csrf: actor.member.csrfToken, title: `Soak clip ${state.runId}`, description: 'sent by the soak run', url: '' },
    files,
  );
  const videoId = Number(/^\/videos\/(\d+)$/.exec(reply.location ?? '')?.[1]);
  const outcome = await followRedirect(actor, reply, reply.location ?? '/videos/');
  if (!outcome.accepted || !Number.isSafeInteger(videoId)) return { ...outcome, accepted: false };
  state.videoIds.push(videoId);
  actor.ownVideos.push(videoId);
  return { ...outcome, videoId, videoBytes: state.fixtures.formVideo.length, withThumbnail };
}

/** A 303 to the expected page is the member's "stored"; the page is then loaded, as a browser would. */
async function followRedirect(actor: Actor, reply: Reply, expected: string): Promise<Outcome> {
  const accepted = reply.status === 303 && (reply.location ?? '').startsWith(expected);
  if (!accepted) return { accepted, status: reply.status, why: textOf(reply.body).slice(0, 200) };
  await actor.member.send('GET', reply.location ?? expected).catch(() => undefined);
  return { accepted, status: reply.status };
}

function fromDirect(outcome: Exclude<DirectOutcome, { ended: 'use-form' }>): Outcome {
  return outcome.ended === 'stored'
    ? { accepted: true, status: 200 }
    : { accepted: false, status: outcome.status, why: outcome.why };
}

async function recorded(state: TrafficState, actor: Actor, kind: UploadKind, upload: () => Promise<Outcome>) {
  const startedAt = Date.now();
  let outcome: Outcome;
  try {
    outcome = await upload();
  } catch (error) {
    outcome = { accepted: false, status: 0, why: (error as Error).message.slice(0, 200) };
  }
  state.uploads.push({ kind, member: actor.member.username, startedAt, endedAt: Date.now(), ...outcome });
}

function imageFor(state: TrafficState): Buffer {
  return pick(state, state.fixtures.images)!;
}
