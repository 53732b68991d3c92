/**
 * Will browsers on the app's origin be allowed to POST uploads straight to the bucket? Asks
 * the bucket the way a browser does — a CORS preflight — and explains the rule to add if not.
 */
export interface CorsCheckResult {
  ok: boolean;
  detail: string;
  fix?: string;
}

export function corsRuleJson(appOrigin: string): string {
  return JSON.stringify({ CORSRules: [{ AllowedOrigins: [appOrigin], AllowedMethods: ['POST'], AllowedHeaders: ['*'], MaxAgeSeconds: 3600 }] }, null, 2);
}

export async function checkDirectUploadCors(options: {
  bucketUrl: string;
  appOrigin: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}): Promise<CorsCheckResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const fix = `Add this CORS rule to the bucket (S3 console → the bucket → Permissions → CORS), then run the check again:\n${corsRuleJson(options.appOrigin)}`;
  let response: Response;
  try {
    response = await fetchImpl(`${options.bucketUrl}/`, {
      method: 'OPTIONS',
      headers: { Origin: options.appOrigin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    return { ok: false, detail: `The CORS preflight to ${options.bucketUrl} got no answer (${error instanceof Error ? error.message : String(error)}).`, fix };
  }
  const allowedOrigin = response.headers.get('access-control-allow-origin');
  const allowedMethods = (response.headers.get('access-control-allow-methods') ?? '').toUpperCase();
  const originOk = allowedOrigin === '*' || allowedOrigin === options.appOrigin;
  const methodOk = allowedMethods === '' || allowedMethods.includes('POST') || allowedMethods === '*';
  if (response.ok && originOk && methodOk) {
    return { ok: true, detail: `The bucket allows POST uploads from ${options.appOrigin}: direct uploads will work.` };
  }
  return {
    ok: false,
    detail: `The bucket does not allow POST uploads from ${options.appOrigin} (preflight answered ${response.status}, Access-Control-Allow-Origin: ${allowedOrigin ?? 'none'}). Uploads will still work, but through the app instead of straight to the bucket.`,
    fix,
  };
}
