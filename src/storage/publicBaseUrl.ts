/**
 * Where browsers fetch a bucket's public objects from, derived from the settings alone (no
 * I/O): a CDN when one is set, the custom endpoint (path- or virtual-hosted style), or AWS's
 * own host for the region.
 */
export function publicBaseUrlFor(settings: {
  bucket: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  cdnBaseUrl: string | undefined;
}): string {
  if (settings.cdnBaseUrl) return settings.cdnBaseUrl;
  if (settings.endpoint) {
    const endpoint = new URL(settings.endpoint);
    const base = endpoint.origin + endpoint.pathname.replace(/\/+$/, '');
    if (settings.forcePathStyle) return `${base}/${settings.bucket}`;
    return `${endpoint.protocol}//${settings.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`;
  }
  // Buckets with dots break the wildcard TLS certificate of virtual-hosted URLs.
  if (settings.bucket.includes('.') || settings.forcePathStyle) {
    return `https://s3.${settings.region}.amazonaws.com/${settings.bucket}`;
  }
  return `https://${settings.bucket}.s3.${settings.region}.amazonaws.com`;
}
