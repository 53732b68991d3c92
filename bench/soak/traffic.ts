/**
 * The soak run's traffic, in its own process (bench/support/childScript.ts): `users` simulated
 * members, each doing one thing at a time with a short pause between, until the deadline. The
 * mix is weighted like a busy evening: mostly reading and voting, a steady stream of uploads
 * of every kind, a new member now and then. Every request is bounded in time (no answer within
 * REQUEST_TIMEOUT_MS counts as status 0) and the loop by the deadline.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeImage } from '../../test/support/imageFixtures.ts';
import { makeMp4, makeWebm } from '../../test/support/videoFixtures.ts';
import { serveRequests } from '../support/childScript.ts';
import { closeConnections, observeReplies, type HttpMember } from '../support/httpMember.ts';
import {
  type Action,
  type Actor,
  avatarByForm,
  avatarDirect,
  replaceThumbnail,
  signUp,
  signUpMember,
  type TrafficState,
  videoByForm,
  videoDirect,
  viewPages,
  vote,
} from './memberActions.ts';
import { compact, type CompactReply, type TrafficReport } from './trafficReport.ts';

export interface TrafficRequest {
  origin: string;
  durationMs: number;
  users: number;
  seed: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
const PAUSE_MS = { min: 150, max: 450 };
const IMAGE_COUNT = 12;

const MIX: Array<[weight: number, action: Action]> = [
  [30, viewPages],
  [16, vote],
  [5, signUp],
  [14, avatarByForm],
  [8, avatarDirect],
  [10, videoByForm],
  [6, videoDirect],
  [8, replaceThumbnail],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [weight]) => sum + weight, 0);

async function runTraffic(request: TrafficRequest): Promise<TrafficReport> {
  const requests: CompactReply[] = [];
  observeReplies((record) => requests.push(compact(record)), REQUEST_TIMEOUT_MS);
  const state: TrafficState = {
    origin: request.origin,
    runId: randomBytes(3).toString('hex'),
    fixtures: await makeFixtures(),
    members: [],
    videoIds: [],
    uploads: [],
    random: seededRandom(request.seed),
  };
  const deadline = Date.now() + request.durationMs;
  await Promise.all(Array.from({ length: request.users }, () => simulateMember(state, deadline)));
  closeConnections();
  return { requests, uploads: state.uploads, members: state.members, videoIds: state.videoIds };
}

async function simulateMember(state: TrafficState, deadline: number): Promise<void> {
  let member: HttpMember | undefined;
  // A member must exist before anything else; during a fault that takes a few tries.
  while (!member && Date.now() < deadline) member = await signUpMember(state).catch(() => sleep(1_000, undefined));
  if (!member) return;
  const actor: Actor = { member, ownVideos: [] };
  while (Date.now() < deadline) {
    await chooseAction(state)(state, actor).catch(() => undefined);
    await sleep(PAUSE_MS.min + state.random() * (PAUSE_MS.max - PAUSE_MS.min));
  }
}

function chooseAction(state: TrafficState): Action {
  let roll = state.random() * TOTAL_WEIGHT;
  for (const [weight, action] of MIX) {
    roll -= weight;
    if (roll < 0) return action;
  }
  return viewPages;
}

async function makeFixtures() {
  const images = await Promise.all(
    Array.from({ length: IMAGE_COUNT }, (_, index) =>
      makeImage('jpeg', 960, 720, `#${((index * 0x13579b + 0x2468ac) & 0xffffff).toString(16).padStart(6, '0')}`),
    ),
  );
  // One part each way: the direct video stays under the 8 MiB part size; the form video is streamed to S3 as it arrives.
  return { images, formVideo: makeMp4(1536 * 1024), directVideo: makeWebm(1024 * 1024) };
}

/** mulberry32: the same seed gives the same mix, so two runs are comparable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

serveRequests({ pid: process.pid }, (request) => runTraffic(request as unknown as TrafficRequest));
