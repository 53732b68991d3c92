/**
 * Will browsers on the app's origin be allowed to upload straight to the bucket? Images go
 * as a POST (signed policy), videos as PUTs of parts whose ETag the script must read. A CORS
 * preflight answers the first two questions; it cannot show which response headers are
 * exposed, so when it is given a signed part URL the check sends one real cross-origin PUT
 * and reads Access-Control-Expose-Headers from the answer. Explains the rule to add if not.
 */
export interface CorsCheckResult {
  ok: boolean;
  detail: string;
  fix?: string;
}

export function corsRuleJson(appOrigin: string): string {
  return JSON.stringify(
    {
      CORSRules: [
        {
          AllowedOrigins: [appOrigin],
          AllowedMethods: ['POST', 'PUT'],
          AllowedHeaders: ['*'],
          ExposeHeaders: ['ETag'],
          MaxAgeSeconds: 3600,
        },
      ],
    },
    null,
    2,
  );
}

export interface CorsCheckOptions {
  bucketUrl: string;
  appOrigin: string;
  /** A presigned PUT (e.g. part 1 of a throwaway multipart upload) for `body`; without it, ETag exposure is not checked. */
  signedPut?: { url: string; body: string };
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function checkDirectUploadCors(options: CorsCheckOptions): Promise<CorsCheckResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const signal = () => AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const fix = `Add this CORS rule to the bucket (S3 console → the bucket → Permissions → CORS), then run the check again:\n${corsRuleJson(options.appOrigin)}`;
  const fallback = 'Uploads will still work, but through the app instead of straight to the bucket.';
  const originAllowed = (response: Response) => {
    const allowed = response.headers.get('access-control-allow-origin');
    return allowed === '*' || allowed === options.appOrigin;
  };

  for (const method of ['POST', 'PUT']) {
    let response: Response;
    try {
      response = await fetchImpl(`${options.bucketUrl}/`, {
        method: 'OPTIONS',
        headers: {
          Origin: options.appOrigin,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'content-type',
        },
        signal: signal(),
      });
    } catch (error) {
      return {
        ok: false,
        detail: `The CORS preflight to ${options.bucketUrl} got no answer (${describeError(error)}).`,
        fix,
      };
    }
    const allowedMethods = (response.headers.get('access-control-allow-methods') ?? '').toUpperCase();
    const methodOk =
      allowedMethods === '' || allowedMethods === '*' || allowedMethods.split(/\s*,\s*/).includes(method);
    if (!response.ok || !originAllowed(response) || !methodOk) {
      return {
        ok: false,
        detail: `The bucket does not allow ${method} uploads from ${options.appOrigin} (preflight answered ${response.status}, Access-Control-Allow-Origin: ${response.headers.get('access-control-allow-origin') ?? 'none'}, Access-Control-Allow-Methods: ${allowedMethods || 'none'}). ${fallback}`,
        fix,
      };
    }
  }
  const allowed = `The bucket allows POST and PUT uploads from ${options.appOrigin}`;
  if (!options.signedPut)
    return {
      ok: true,
      detail: `${allowed}: direct uploads will work (whether ETag is exposed to scripts, which video uploads need, was not checked).`,
    };

  let response: Response;
  try {
    response = await fetchImpl(options.signedPut.url, {
      method: 'PUT',
      headers: { Origin: options.appOrigin },
      body: options.signedPut.body,
      signal: signal(),
    });
  } catch (error) {
    return {
      ok: false,
      detail: `A test PUT of a video part to ${options.bucketUrl} got no answer (${describeError(error)}).`,
      fix,
    };
  }
  const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
  if (!response.ok || !originAllowed(response)) {
    return {
      ok: false,
      detail: `A test PUT of a video part from ${options.appOrigin} was refused (${response.status}, Access-Control-Allow-Origin: ${response.headers.get('access-control-allow-origin') ?? 'none'}). ${fallback}`,
      fix,
    };
  }
  if (!exposed.includes('etag') && !exposed.includes('*')) {
    return {
      ok: false,
      detail: `${allowed}, but does not expose the ETag header (Access-Control-Expose-Headers: ${response.headers.get('access-control-expose-headers') ?? 'none'}): video uploads cannot read their parts' ETags and go through the app. Image uploads work.`,
      fix,
    };
  }
  return { ok: true, detail: `${allowed} and exposes ETag: direct uploads of images and videos will work.` };
}
