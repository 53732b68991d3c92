/**
 * Every stored image gets a fresh key, so its bytes never change under a URL: browsers and
 * CDNs may keep it for a year without revalidating.
 */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
