// A request body on its way into the blob store, hashed as it streams (MD5 for the ETag and
// Content-MD5, CRC-64 for x-oss-hash-crc64ecma) and checked at its end against what the client
// declared: Content-Length (IncompleteBody), Content-MD5 (InvalidDigest) and, when sent,
// x-oss-hash-crc64ecma (InvalidCRC64). A failed check fails the blob put before it commits, so
// a corrupt body never replaces anything. Memory stays at one chunk: nothing is buffered here.
import { createHash } from 'node:crypto';
import { Crc64 } from '../oss/crc64.js';
import { OssError } from '../oss/oss-errors.js';

export interface BodyDigest {
  size: number;
  md5Hex: string;
  md5Base64: string;
  crc64: string;
}

export interface DeclaredBody {
  contentLength: number | undefined;
  contentMd5: string | undefined;
  crc64: string | undefined;
}

/** Reads the declared length and MD5 from the headers; refuses a malformed Content-MD5 up front. */
export function declaredBody(headers: Readonly<Record<string, string | undefined>>): DeclaredBody {
  const md5 = headers['content-md5'];
  if (md5 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5.trim())) throw new OssError('InvalidDigest');
  const lengthText = headers['content-length'];
  const contentLength = lengthText === undefined || !/^\d{1,16}$/.test(lengthText) ? undefined : Number(lengthText);
  if (contentLength === undefined && headers['transfer-encoding'] === undefined) throw new OssError('MissingContentLength');
  return { contentLength, contentMd5: md5?.trim(), crc64: headers['x-oss-hash-crc64ecma'] };
}

export function digestingBody(source: AsyncIterable<Uint8Array | string>, declared: DeclaredBody): { body: AsyncIterable<Uint8Array>; digest(): BodyDigest } {
  const md5 = createHash('md5');
  const crc = new Crc64();
  let size = 0;
  let result: BodyDigest | undefined;
  async function* body(): AsyncGenerator<Uint8Array> {
    for await (const raw of source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      md5.update(chunk);
      crc.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    if (declared.contentLength !== undefined && size !== declared.contentLength) {
      throw new OssError('IncompleteBody', `The body had ${size} bytes; Content-Length said ${declared.contentLength}.`);
    }
    const digest = md5.digest();
    const d: BodyDigest = { size, md5Hex: digest.toString('hex'), md5Base64: digest.toString('base64'), crc64: crc.digest() };
    if (declared.contentMd5 !== undefined && declared.contentMd5 !== d.md5Base64) {
      throw new OssError('InvalidDigest', `The Content-MD5 you specified (${declared.contentMd5}) does not match the MD5 of the body received (${d.md5Base64}).`);
    }
    if (declared.crc64 !== undefined && declared.crc64 !== d.crc64) throw new OssError('InvalidCRC64');
    result = d;
  }
  return {
    body: body(),
    digest() {
      if (!result) throw new Error('the body has not been read to its end');
      return result;
    },
  };
}
