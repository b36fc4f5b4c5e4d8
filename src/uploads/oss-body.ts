// A request body on its way into the blob store, hashed as it streams (MD5 for the ETag and
// Content-MD5, CRC-64 for x-oss-hash-crc64ecma) and checked at its end against what the client
// declared: Content-Length (IncompleteBody), Content-MD5 (InvalidDigest) and, when sent,
// x-oss-hash-crc64ecma (InvalidCRC64). A failed check fails the blob put before it commits, so
// a corrupt body never replaces anything. Memory stays at one chunk and the MD5 worker's ring:
// nothing is buffered here.
import { callerMd5, runningMd5 } from '../ingest/md5-workers.js';
import { Crc64 } from '../oss/crc64.js';
import { OssError } from '../oss/oss-errors.js';

/**
 * The ring a body's MD5 worker reads from (see md5-workers.ts): room for 16 socket chunks, so the
 * receiving thread seldom waits, yet small, as a client sends several parts at once (a 4 MiB ring
 * was no faster). With the part's MD5 off the main thread, a 1 GiB SDK upload to one server took
 * 5.0-5.5 s instead of 5.4-6.3 s (alternating runs on 2 shared cores); bench:upload at 1 GiB,
 * 142-179 MiB/s instead of 139-150.
 */
const MD5_RING_BYTES = 1024 * 1024;
/** A body declared smaller (a cover, a Complete's XML) is hashed here: a worker would only add round trips. */
const MD5_ON_CALLER_BELOW_BYTES = 256 * 1024;

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
  const crc = new Crc64();
  let size = 0;
  let result: BodyDigest | undefined;
  async function* body(): AsyncGenerator<Uint8Array> {
    // A part is hashed on a worker thread while this one receives, CRCs and writes it.
    const small = declared.contentLength !== undefined && declared.contentLength < MD5_ON_CALLER_BELOW_BYTES;
    const md5 = small ? callerMd5() : runningMd5({ ringBytes: MD5_RING_BYTES });
    try {
      for await (const raw of source) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
        crc.update(chunk);
        size += chunk.length;
        await md5.update(chunk);
        yield chunk;
      }
      if (declared.contentLength !== undefined && size !== declared.contentLength) {
        throw new OssError('IncompleteBody', `The body had ${size} bytes; Content-Length said ${declared.contentLength}.`);
      }
      const md5Hex = await md5.digest();
      const d: BodyDigest = { size, md5Hex, md5Base64: Buffer.from(md5Hex, 'hex').toString('base64'), crc64: crc.digest() };
      if (declared.contentMd5 !== undefined && declared.contentMd5 !== d.md5Base64) {
        throw new OssError('InvalidDigest', `The Content-MD5 you specified (${declared.contentMd5}) does not match the MD5 of the body received (${d.md5Base64}).`);
      }
      if (declared.crc64 !== undefined && declared.crc64 !== d.crc64) throw new OssError('InvalidCRC64');
      result = d;
    } finally {
      md5.forget();
    }
  }
  return {
    body: body(),
    digest() {
      if (!result) throw new Error('the body has not been read to its end');
      return result;
    },
  };
}
