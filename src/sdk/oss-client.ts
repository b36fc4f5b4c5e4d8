// The ali-oss client for one upload ticket. Credentials come from the keeper before every
// request (refreshSTSTokenInterval 0 makes ali-oss ask each time; the keeper answers from its
// cache until the credential is near expiry).
import type OSS from 'ali-oss';
import { ossClientBase, ossCredentials } from './upload-address.js';
import type { CredentialKeeper, UploadTicket } from './upload-credentials.js';

/**
 * ali-oss is loaded on the first upload, not when the SDK (or the server, whose CLI includes the
 * uploader) is imported: it costs ≈ 19 MiB of memory.
 */
export async function createOssClient(ticket: UploadTicket, keeper: CredentialKeeper, timeoutMs = 300_000): Promise<OSS> {
  const { default: Client } = await import('ali-oss');
  const options: OSS.Options & { retryMax: number } = {
    ...ossClientBase(ticket.address, ticket.auth),
    ...ossCredentials(ticket.auth),
    refreshSTSToken: keeper.current,
    refreshSTSTokenInterval: 0,
    timeout: timeoutMs,
    // ali-oss retries a part on a network error (status -1/-2) this many times.
    retryMax: 2,
  };
  return new Client(options);
}
