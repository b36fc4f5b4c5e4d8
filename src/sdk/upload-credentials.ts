// Keeps an upload credential fresh. ali-oss asks `current()` before every request (we give it
// `refreshSTSTokenInterval: 0`); while the credential has more than `marginMs` left this is a
// cached answer, otherwise one RefreshUploadVideo call (shared by concurrent requests) gets a new
// credential for the same address. An upload that outlives its credential therefore continues
// with the same uploadId and parts.
import type { SdkLogger } from './uploader.types.js';
import { decodeUploadAddress, decodeUploadAuth, ossCredentials, sameAddress, type OssCredentials, type UploadAddress, type UploadAuth } from './upload-address.js';
import type { VodRpcClient } from './rpc-client.js';
import { UploadError } from './upload.errors.js';

export interface UploadTicket { videoId: string; address: UploadAddress; auth: UploadAuth }

/** RefreshUploadVideo: a new credential for the same address. */
export async function refreshTicket(rpc: VodRpcClient, videoId: string, signal?: AbortSignal): Promise<UploadTicket> {
  const r = await rpc.call<{ UploadAddress: string; UploadAuth: string }>('RefreshUploadVideo', { VideoId: videoId }, { signal });
  return { videoId, address: decodeUploadAddress(r.UploadAddress), auth: decodeUploadAuth(r.UploadAuth) };
}

export class CredentialKeeper {
  private auth: UploadAuth;
  private inflight: Promise<OssCredentials> | undefined;
  refreshes = 0;

  constructor(
    private readonly rpc: VodRpcClient,
    private readonly ticket: UploadTicket,
    private readonly marginMs: number,
    private readonly log: SdkLogger | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.auth = ticket.auth;
  }

  private expiresAt(): number {
    const t = Date.parse(this.auth.ExpireUTCTime);
    return Number.isFinite(t) ? t : 0;
  }

  current = async (): Promise<OssCredentials> => {
    if (this.expiresAt() - this.now() > this.marginMs) return ossCredentials(this.auth);
    this.inflight ??= this.refresh().finally(() => (this.inflight = undefined));
    return this.inflight;
  };

  private async refresh(): Promise<OssCredentials> {
    const next = await refreshTicket(this.rpc, this.ticket.videoId);
    if (!sameAddress(next.address, this.ticket.address)) {
      throw new UploadError('Upload.InvalidResponse', `RefreshUploadVideo gave another address for ${this.ticket.videoId}`);
    }
    this.auth = next.auth;
    this.refreshes += 1;
    this.log?.debug({ videoId: this.ticket.videoId, expireUtc: next.auth.ExpireUTCTime }, 'upload credential refreshed');
    return ossCredentials(next.auth);
  }
}
