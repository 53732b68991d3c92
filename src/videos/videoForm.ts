/** Validation of the "submit a video" text fields, with messages placed next to each field. */
import { controlCharactersMessage, hasControlCharacters } from '../refusals/controlCharacters.ts';

export interface VideoFormValues {
  title: string;
  description: string;
  url: string;
}

export type VideoFormErrors = Partial<Record<'title' | 'description' | 'url' | 'video' | 'thumbnail', string>>;

export const TITLE_MAX = 120;
export const DESCRIPTION_MAX = 2000;

export function readVideoForm(fields: Record<string, string>): VideoFormValues {
  return {
    title: (fields.title ?? '').trim(),
    description: (fields.description ?? '').trim(),
    url: (fields.url ?? '').trim(),
  };
}

export function validateVideoForm(values: VideoFormValues, hasVideoFile: boolean): VideoFormErrors {
  const errors: VideoFormErrors = {};
  if (values.title.length === 0) errors.title = 'Please give your video a title.';
  else if (values.title.length > TITLE_MAX) errors.title = `Titles can be at most ${TITLE_MAX} characters.`;
  else if (hasControlCharacters(values.title)) errors.title = controlCharactersMessage('Titles');
  if (hasControlCharacters(values.description, { multiline: true }))
    errors.description = controlCharactersMessage('Descriptions');
  else if (values.description.length > DESCRIPTION_MAX)
    errors.description = `Descriptions can be at most ${DESCRIPTION_MAX} characters.`;
  if (values.url && hasVideoFile) errors.url = 'Either link to a video or upload a file, not both.';
  else if (!values.url && !hasVideoFile) errors.url = 'Paste a link to the video, or upload an MP4 or WebM file below.';
  else if (values.url && hasControlCharacters(values.url)) errors.url = controlCharactersMessage('Links');
  else if (values.url && !isWebUrl(values.url))
    errors.url = 'Links must be full web addresses starting with http:// or https://.';
  return errors;
}

function isWebUrl(value: string): boolean {
  if (value.length > 2000) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.includes('.');
  } catch {
    return false;
  }
}
