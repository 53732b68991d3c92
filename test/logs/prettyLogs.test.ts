/**
 * Development logs at a terminal are pretty, coloured lines; production and anything piped stay
 * JSON. The pretty lines go through the same redaction as the JSON ones.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, wantsPrettyLogs } from '../../src/logger.ts';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('is pretty only outside production and only on a terminal', () => {
    expect(wantsPrettyLogs('development', true)).toBe(true);
    expect(wantsPrettyLogs('test', true)).toBe(true);
    expect(wantsPrettyLogs('production', true)).toBe(false);
    expect(wantsPrettyLogs('development', false)).toBe(false);
  });

  it('pretty lines are coloured text with the level and message, secrets still redacted', () => {
    const out = capture();
    const logger = createLogger({ pretty: true, destination: out.stream });
    logger.info({ config: { secretAccessKey: 'very-secret-key' } }, 'VideoVote is listening');
    logger.warn('signed https://b.example/k?X-Amz-Signature=0123456789abcdef0123456789abcdef');
    const text = out.text();
    // An ANSI colour sequence: ESC [ <n> m.
    expect(text).toContain(`${String.fromCharCode(27)}[32mINFO`);
    expect(text).toContain('INFO');
    expect(text).toContain('VideoVote is listening');
    expect(text).toContain('WARN');
    expect(text).not.toContain('very-secret-key');
    expect(text).not.toContain('0123456789abcdef0123456789abcdef');
    expect(text).not.toMatch(/^\{/m);
  });

  it('without pretty, every line is one JSON object', () => {
    const out = capture();
    createLogger({ destination: out.stream }).info('plain');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'plain' });
  });
});
