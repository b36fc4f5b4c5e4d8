// Callback authentication headers.
//
// ApsaraVideo (reference §8, "HTTP callback authentication"), sent when AuthSwitch is on:
//   X-VOD-TIMESTAMP: 10-digit Unix seconds at send time
//   X-VOD-SIGNATURE: lowercase hex MD5 of `CallbackURL + "|" + X-VOD-TIMESTAMP + "|" + AuthKey`
// where CallbackURL is the URL the callback is POSTed to (the UserData override when one applies).
// Test vector: md5("https://www.example.com/your/callback|1519375990|test123") = c72b60894140fa98920f1279219b7ed4
//
// The MD5 scheme does not cover the body. OpenVOD adds a stronger signature of the raw body, in
// the shape Stripe and Standard Webhooks receivers already know:
//   X-OpenVOD-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(AuthKey, "<t>.<raw body>")>
import { createHash, createHmac } from 'node:crypto';

export function vodSignature(callbackUrl: string, timestampS: number, authKey: string): string {
  return createHash('md5').update(`${callbackUrl}|${timestampS}|${authKey}`, 'utf8').digest('hex');
}

export function openvodSignature(authKey: string, timestampS: number, rawBody: string): string {
  const mac = createHmac('sha256', authKey).update(`${timestampS}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

/** The headers that authenticate one attempt (none when authentication is off). */
export function authHeaders(input: { callbackUrl: string; rawBody: string; authKey: string | undefined; nowMs: number }): Record<string, string> {
  if (input.authKey === undefined || input.authKey === '') return {};
  const t = Math.floor(input.nowMs / 1000);
  return {
    'x-vod-timestamp': String(t),
    'x-vod-signature': vodSignature(input.callbackUrl, t, input.authKey),
    'x-openvod-signature': openvodSignature(input.authKey, t, input.rawBody),
  };
}
