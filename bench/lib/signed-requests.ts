// Freshly signed V1 GetVideoInfo requests, each with its own SignatureNonce (the server refuses
// a nonce it has seen) and the current Timestamp. Signing costs the client ~20 µs, so a batch is
// signed before each timed window; if a window outruns its batch, the rest are signed inline and
// counted, so the report can say the client may have been the bottleneck.
import { randomUUID } from 'node:crypto';
import { canonicalQueryV1, percentEncode, signV1, stringToSignV1 } from '../../src/api/rpc/signature-v1.js';

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/** "Timestamp: UTC YYYY-MM-DDThh:mm:ssZ", as the SDKs send it. */
const timestampNow = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The path and query of one signed GET, exactly as an SDK would put it on the wire. */
export function signedGetVideoInfoPath(credentials: Credentials, videoId: string): string {
  const params: Record<string, string> = {
    AccessKeyId: credentials.accessKeyId,
    Action: 'GetVideoInfo',
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: timestampNow(),
    Version: '2017-03-21',
    VideoId: videoId,
  };
  const signature = signV1(stringToSignV1('GET', params), credentials.accessKeySecret);
  return `/?${canonicalQueryV1(params)}&Signature=${percentEncode(signature)}`;
}

export class SignedRequestQueue {
  private batch: string[] = [];
  private next = 0;
  /** Requests signed inside a timed window because the batch ran out. */
  signedInline = 0;

  constructor(
    private readonly credentials: Credentials,
    private readonly videoId: string,
  ) {}

  /** Replaces any leftover batch with `count` freshly signed requests. */
  presign(count: number): void {
    this.batch = Array.from({ length: count }, () => signedGetVideoInfoPath(this.credentials, this.videoId));
    this.next = 0;
  }

  take(): string {
    if (this.next < this.batch.length) return this.batch[this.next++] as string;
    this.signedInline++;
    return signedGetVideoInfoPath(this.credentials, this.videoId);
  }
}
