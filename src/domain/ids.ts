import { randomBytes, randomUUID } from 'node:crypto';

/** ApsaraVideo-style media/job id: 32 lowercase hex characters. */
export const newMediaId = (): string => randomBytes(16).toString('hex');

/** RequestId as the gateway prints it: an upper-case UUID. */
export const newRequestId = (): string => randomUUID().toUpperCase();

/** Access key ids look like Alibaba's (`LTAI` + 20 alphanumerics). */
export const newAccessKeyId = (): string => `LTAI${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x').slice(0, 20)}`;

/** A 30-character secret of letters and digits. */
export const newAccessKeySecret = (): string => randomBytes(30).toString('base64url').replace(/[-_]/g, '0').slice(0, 30);
