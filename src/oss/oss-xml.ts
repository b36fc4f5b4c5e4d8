// The XML bodies of the OSS subset (oss-upload-subset §3, §8): results we write, the
// CompleteMultipartUpload body we read, and the <Error> body. Writing is a few templates; reading
// accepts exactly the CompleteMultipartUpload grammar (ali-oss and oss2 send the same shape).

export const OSS_XMLNS = 'http://doc.oss-cn-hangzhou.aliyuncs.com';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name: string, dec?: string, hex?: string) => {
    if (dec !== undefined) return String.fromCodePoint(Number(dec));
    if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name] ?? '';
  });
}

export type XmlValue = string | number | boolean | XmlFields | readonly XmlFields[];
export interface XmlFields { readonly [name: string]: XmlValue | undefined }

/** `<Name>` elements for each field, in order; an array repeats its element name. */
export function elements(fields: XmlFields): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly XmlFields[]) out += `<${name}>${elements(item)}</${name}>`;
    } else if (typeof value === 'object') {
      out += `<${name}>${elements(value as XmlFields)}</${name}>`;
    } else {
      out += `<${name}>${escapeXml(String(value))}</${name}>`;
    }
  }
  return out;
}

/** A result document: `<Root xmlns=…>…</Root>`. */
export const resultXml = (root: string, fields: XmlFields): string =>
  `${DECL}<${root} xmlns="${OSS_XMLNS}">${elements(fields)}</${root}>`;

/** The OSS error document (§8): Code, Message, RequestId, HostId, then operation extras. */
export const errorXml = (fields: { code: string; message: string; requestId: string; hostId: string; extra?: Readonly<Record<string, string>> | undefined }): string =>
  `${DECL}<Error>${elements({ Code: fields.code, Message: fields.message, RequestId: fields.requestId, HostId: fields.hostId, ...(fields.extra ?? {}) })}</Error>`;

export interface CompletePart {
  readonly partNumber: number;
  /** As sent, quotes removed. */
  readonly etag: string;
}

/**
 * Parses a CompleteMultipartUpload body:
 *   <CompleteMultipartUpload><Part><PartNumber>n</PartNumber><ETag>"…"</ETag></Part>…</CompleteMultipartUpload>
 * Returns undefined when it is not that document (→ MalformedXML). Order is kept as sent: the
 * caller checks it (InvalidPartOrder).
 */
export function parseCompleteMultipartUpload(xml: string): CompletePart[] | undefined {
  const body = xml.replace(/^\uFEFF/, '').replace(/^\s*<\?xml[^?]*\?>/, '').trim();
  const root = /^<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload>$/.exec(body);
  if (!root) return undefined;
  let rest = root[1] as string;
  const parts: CompletePart[] = [];
  const partRe = /^\s*<Part>([\s\S]*?)<\/Part>/;
  for (let m = partRe.exec(rest); m; m = partRe.exec(rest)) {
    const inner = m[1] as string;
    const num = /<PartNumber>\s*(\d{1,9})\s*<\/PartNumber>/.exec(inner);
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(inner);
    if (!num || !etag) return undefined;
    parts.push({ partNumber: Number(num[1]), etag: unescapeXml(etag[1] as string).trim().replace(/^"|"$/g, '') });
    rest = rest.slice(m[0].length);
  }
  if (rest.trim() !== '' || parts.length === 0) return undefined;
  return parts;
}
