// A small typed client for the ApsaraVideo VOD RPC API, signing with V1 (HMAC-SHA1). It works
// against OpenVOD and against ApsaraVideo endpoints alike. Silent: it never logs.
import { randomUUID } from 'node:crypto';
import { percentEncode, signV1, stringToSignV1 } from '../api/rpc/signature-v1.js';

export interface RpcClientOptions {
  /** e.g. http://127.0.0.1:8080 or https://vod.cn-shanghai.aliyuncs.com */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** GET puts everything in the query; POST sends a form body (as @alicloud/pop-core does). */
  method?: 'GET' | 'POST';
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Override the nonce or timestamp (tests of replay protection). */
  nonce?: string;
  timestamp?: string;
  signal?: AbortSignal;
}

/** An error answered by the API, with Alibaba's code. */
export class VodApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly requestId: string | undefined,
  ) {
    super(`${code}: ${message}`);
    this.name = 'VodApiError';
  }
}

export type RpcParams = Record<string, string | number | boolean | undefined>;

export class VodRpcClient {
  private readonly endpoint: string;

  constructor(private readonly options: RpcClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
  }

  async call<T = Record<string, unknown>>(action: string, params: RpcParams = {}, opts: CallOptions = {}): Promise<T & { RequestId: string }> {
    const all = new Map<string, string>();
    const common: RpcParams = {
      Action: action,
      Version: '2017-03-21',
      Format: 'JSON',
      AccessKeyId: this.options.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: opts.nonce ?? randomUUID(),
      Timestamp: opts.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      SecurityToken: this.options.securityToken,
    };
    for (const [k, v] of Object.entries({ ...common, ...params })) if (v !== undefined) all.set(k, String(v));
    const method = this.options.method ?? 'GET';
    all.set('Signature', signV1(stringToSignV1(method, all), this.options.accessKeySecret));
    const encoded = [...all].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');

    const signal = opts.signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const res =
      method === 'GET'
        ? await fetch(`${this.endpoint}/?${encoded}`, { signal })
        : await fetch(`${this.endpoint}/`, { method: 'POST', body: encoded, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new VodApiError('InvalidResponse', `non-JSON response (HTTP ${res.status}): ${text.slice(0, 200)}`, res.status, undefined);
    }
    if (res.status >= 400 || typeof body.Code === 'string') {
      throw new VodApiError(String(body.Code ?? 'UnknownError'), String(body.Message ?? ''), res.status, body.RequestId as string | undefined);
    }
    return body as T & { RequestId: string };
  }
}
