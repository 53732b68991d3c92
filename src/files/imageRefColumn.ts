/**
 * Selects a whole image reference (key, location, size, placeholder, variants) as one JSON
 * column, so read models that join several images (a card's thumbnail and its owner's avatar)
 * stay one query and templates get everything getImageUrl and imageTag need.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ImageRef } from './imageStorage.ts';

export function imageRefColumn(table: string): RawBuilder<ImageRef | null> {
  const column = (name: string) => sql.ref(`${table}.${name}`);
  // A lost file renders as the placeholder rather than a broken image.
  return sql<ImageRef | null>`case when ${column('id')} is null or ${column('lost_at')} is not null then null else jsonb_build_object(
    'key', ${column('key')}, 'location', ${column('location')}, 'width', ${column('width')}, 'height', ${column('height')},
    'placeholder', ${column('placeholder')}, 'variants', ${column('variants')}) end`;
}
