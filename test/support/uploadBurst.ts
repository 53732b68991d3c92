/**
 * A burst of uploads by several members against a real server process, each answer kept:
 * avatars, and video forms carrying a thumbnail and a small MP4, in a loop until told to stop.
 * For fault tests that break something underneath (the database, the disk) mid-burst and then
 * judge every answer.
 */
import { makeImage } from './imageFixtures.ts';
import type { HttpMember } from './serverProcess.ts';
import { makeMp4 } from './videoFixtures.ts';

export interface BurstAnswer {
  kind: 'avatar' | 'video';
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string;
  body: string;
}

/** Uploads in a loop for each member until `stop()` resolves; resolves with every answer. */
export async function uploadBurst(members: HttpMember[], stop: Promise<void>): Promise<BurstAnswer[]> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  // Image keys are content-addressed: a new colour per upload, so a leftover object is never hidden by a twin's row.
  let uploads = 0;
  const colour = () => `#${(0x101010 + uploads++ * 7919).toString(16).slice(-6)}`;
  const video = makeMp4(96 * 1024);
  const answers: BurstAnswer[] = [];
  const send = async (member: HttpMember, kind: BurstAnswer['kind'], body: FormData) => {
    const started = performance.now();
    const response = await member
      .request(kind === 'avatar' ? '/profile/avatar' : '/videos', { method: 'POST', body })
      .catch((error: unknown) => error as Error);
    // No answer at all (the connection reset or closed under the request) is an outcome too: status 0.
    if (response instanceof Error) {
      const cause = (response.cause as Error | undefined)?.message ?? '';
      answers.push({
        kind,
        status: 0,
        ms: performance.now() - started,
        retryAfter: null,
        contentType: '',
        body: `${response.message}: ${cause}`,
      });
      return;
    }
    const text = await response.text().then(
      (body) => ({ body, status: response.status }),
      (error: Error) => ({ body: `cut off after a ${response.status}: ${error.message}`, status: 0 }),
    );
    answers.push({
      kind,
      status: text.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      contentType: response.headers.get('content-type') ?? '',
      body: text.body,
    });
  };
  await Promise.all(
    members.map(async (member, index) => {
      // One token per member, taken before the burst: its session outlives a database restart.
      const token = await member.csrfToken('/profile');
      for (let round = 0; !stopped; round++) {
        const form = new FormData();
        form.set('_csrf', token);
        if ((round + index) % 2 === 0) {
          const avatar = await makeImage('png', 96, 96, colour());
          form.set('avatar', new Blob([new Uint8Array(avatar)], { type: 'image/png' }), 'me.png');
          await send(member, 'avatar', form);
        } else {
          form.set('title', `Burst ${index}-${round}`);
          form.set('description', 'sent during a fault');
          const thumbnail = await makeImage('jpeg', 64, 36, colour());
          form.set('thumbnail', new Blob([new Uint8Array(thumbnail)], { type: 'image/jpeg' }), 'thumb.jpg');
          form.set('video', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'clip.mp4');
          await send(member, 'video', form);
        }
      }
    }),
  );
  return answers;
}

/** Answers grouped as "kind status" → count, for messages that show what happened at a glance. */
export function tally(answers: BurstAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers)
    counts[`${answer.kind} ${answer.status}`] = (counts[`${answer.kind} ${answer.status}`] ?? 0) + 1;
  return counts;
}
