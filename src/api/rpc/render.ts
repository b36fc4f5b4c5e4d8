// Response bodies as the ApsaraVideo gateway writes them: JSON by default from our clients'
// point of view (every current SDK asks for it), XML when `Format=XML` is asked for.
//
// XML rule: an object becomes nested elements; an array under key K becomes repeated <K>
// elements (so `VideoList:{Video:[a,b]}` → <VideoList><Video>a</Video><Video>b</Video></VideoList>).

export type ResponseFormat = 'JSON' | 'XML';

export interface ErrorBody {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
}

export function errorBody(requestId: string, hostId: string, code: string, message: string): ErrorBody {
  return {
    RequestId: requestId,
    HostId: hostId,
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=Vod&requestId=${requestId}`,
  };
}

export function render(format: ResponseFormat, rootName: string, body: object): { contentType: string; payload: string } {
  if (format === 'XML') {
    return { contentType: 'text/xml;charset=utf-8', payload: `<?xml version='1.0' encoding='UTF-8'?>${element(rootName, body)}` };
  }
  return { contentType: 'application/json;charset=utf-8', payload: JSON.stringify(body) };
}

function element(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (value === null || value === undefined) return `<${name}/>`;
  if (typeof value === 'object') {
    // A member whose value is undefined is left out, as JSON.stringify leaves it out.
    let inner = '';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) inner += element(k, v);
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
