// The ali-oss client for one upload ticket. Credentials come from the keeper before every
// request (refreshSTSTokenInterval 0 makes ali-oss ask each time; the keeper answers from its
// cache until the credential is near expiry).
import OSS from 'ali-oss';
import { ossClientBase, ossCredentials } from './upload-address.js';
import type { CredentialKeeper, UploadTicket } from './upload-credentials.js';

export function createOssClient(ticket: UploadTicket, keeper: CredentialKeeper, timeoutMs = 300_000): OSS {
  const options: OSS.Options & { retryMax: number } = {
    ...ossClientBase(ticket.address, ticket.auth),
    ...ossCredentials(ticket.auth),
    refreshSTSToken: keeper.current,
    refreshSTSTokenInterval: 0,
    timeout: timeoutMs,
    // ali-oss retries a part on a network error (status -1/-2) this many times.
    retryMax: 2,
  };
  return new OSS(options);
}
