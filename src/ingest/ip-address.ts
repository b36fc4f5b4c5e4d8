// Pure IP address parsing and classification, for the SSRF guard. Addresses are compared as
// bytes against ordered prefix tables (IANA special-purpose registries, RFC 6890 and successors);
// IPv6 forms that carry an IPv4 address (mapped, compatible, translated, NAT64, 6to4) are
// classified by the IPv4 address they carry, since that is where the packets end up.
import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'metadata'
  | 'reserved'
  | 'ula'
  | 'documentation'
  | 'benchmarking'
  | 'invalid';

interface Rule {
  readonly prefix: Uint8Array;
  readonly bits: number;
  readonly class: AddressClass | 'embedded-v4';
  /** For `embedded-v4`: byte offset of the IPv4 address inside the IPv6 one. */
  readonly v4At?: number;
}

/** Parses dotted-quad IPv4 (strict, as `net.isIPv4` accepts it) into 4 bytes. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

/** Parses IPv6 text (with `::`, an embedded dotted quad, brackets or a zone index) into 16 bytes. */
export function parseIPv6(input: string): Uint8Array | undefined {
  let text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!isIPv6(text)) return undefined;
  const groups: number[] = [];
  const pushPart = (part: string): void => {
    const v4 = parseIPv4(part);
    if (v4) groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    else groups.push(Number.parseInt(part, 16));
  };
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  for (const p of headParts) pushPart(p);
  const headLength = groups.length;
  for (const p of tailParts) pushPart(p);
  const tailGroups = groups.splice(headLength);
  const fill = tail === undefined ? 0 : 8 - headLength - tailGroups.length;
  const all = [...groups, ...new Array<number>(fill).fill(0), ...tailGroups];
  if (all.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function cidr(text: string, cls: Rule['class'], v4At?: number): Rule {
  const [addr = '', bits = ''] = text.split('/');
  const prefix = parseIPv4(addr) ?? parseIPv6(addr);
  if (!prefix) throw new TypeError(`bad CIDR in rule table: ${text}`);
  return { prefix, bits: Number(bits), class: cls, ...(v4At === undefined ? {} : { v4At }) };
}

function matches(bytes: Uint8Array, rule: Rule): boolean {
  if (bytes.length !== rule.prefix.length) return false;
  const whole = rule.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== rule.prefix[i]) return false;
  const rest = rule.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole]! ^ rule.prefix[whole]!) & mask) === 0;
}

// First match wins: specific entries (metadata endpoints) before the ranges that contain them.
const V4_RULES: readonly Rule[] = [
  cidr('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, OpenStack instance metadata
  cidr('169.254.170.2/32', 'metadata'), // AWS ECS task metadata
  cidr('100.100.100.200/32', 'metadata'), // Alibaba Cloud ECS metadata
  cidr('192.0.0.192/32', 'metadata'), // Oracle Cloud metadata
  cidr('0.0.0.0/8', 'unspecified'), // "this network"; 0.0.0.0 reaches the local host on Linux
  cidr('10.0.0.0/8', 'private'),
  cidr('100.64.0.0/10', 'cgnat'),
  cidr('127.0.0.0/8', 'loopback'),
  cidr('169.254.0.0/16', 'link-local'),
  cidr('172.16.0.0/12', 'private'),
  cidr('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  cidr('192.0.2.0/24', 'documentation'), // TEST-NET-1
  cidr('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast
  cidr('192.168.0.0/16', 'private'),
  cidr('198.18.0.0/15', 'benchmarking'),
  cidr('198.51.100.0/24', 'documentation'), // TEST-NET-2
  cidr('203.0.113.0/24', 'documentation'), // TEST-NET-3
  cidr('224.0.0.0/4', 'multicast'),
  cidr('255.255.255.255/32', 'broadcast'),
  cidr('240.0.0.0/4', 'reserved'),
];

const V6_RULES: readonly Rule[] = [
  cidr('::/128', 'unspecified'),
  cidr('::1/128', 'loopback'),
  cidr('::ffff:0:0/96', 'embedded-v4', 12), // IPv4-mapped
  cidr('::ffff:0:0:0/96', 'embedded-v4', 12), // IPv4-translated (RFC 2765)
  cidr('::/96', 'embedded-v4', 12), // IPv4-compatible (deprecated)
  cidr('64:ff9b::/96', 'embedded-v4', 12), // NAT64 well-known prefix
  cidr('64:ff9b:1::/48', 'private'), // local-use NAT64 (RFC 8215)
  cidr('::/8', 'reserved'),
  cidr('100::/64', 'reserved'), // discard-only
  cidr('2001:db8::/32', 'documentation'),
  cidr('3fff::/20', 'documentation'), // RFC 9637
  cidr('2001::/23', 'reserved'), // IETF protocol assignments, Teredo, ORCHID, benchmarking
  cidr('2002::/16', 'embedded-v4', 2), // 6to4
  cidr('fd00:ec2::254/128', 'metadata'), // AWS instance metadata over IPv6
  cidr('fc00::/7', 'ula'),
  cidr('fe80::/10', 'link-local'),
  cidr('fec0::/10', 'private'), // deprecated site-local
  cidr('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST_V6 = cidr('2000::/3', 'public');

function classifyV4(bytes: Uint8Array): AddressClass {
  for (const rule of V4_RULES) if (matches(bytes, rule)) return rule.class as AddressClass;
  return 'public';
}

function classifyV6(bytes: Uint8Array): AddressClass {
  for (const rule of V6_RULES) {
    if (!matches(bytes, rule)) continue;
    if (rule.class !== 'embedded-v4') return rule.class;
    const at = rule.v4At ?? 12;
    return classifyV4(bytes.subarray(at, at + 4));
  }
  // Everything outside 2000::/3 is unassigned by IANA today.
  return matches(bytes, GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
}

/**
 * Classifies an IP address given as text (dotted-quad IPv4, or IPv6 in any textual form,
 * brackets and zone index allowed). Anything that is not an IP address is `invalid`.
 */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIPv4(ip);
  if (v4) return classifyV4(v4);
  const v6 = parseIPv6(ip);
  if (v6) return classifyV6(v6);
  return 'invalid';
}

/** True when `ip` lies inside `range` (`a.b.c.d/n`, `x::/n`, or a single address). */
export function addressInRange(ip: string, range: string): boolean {
  const [addr = '', bitsText] = range.split('/');
  const prefix = parseIPv4(addr) ?? parseIPv6(addr);
  if (!prefix) return false;
  const bits = bitsText === undefined ? prefix.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > prefix.length * 8) return false;
  const bytes = parseIPv4(ip) ?? parseIPv6(ip);
  return bytes !== undefined && matches(bytes, { prefix, bits, class: 'public' });
}

/** True for a syntactically valid range accepted by `addressInRange`. */
export function isValidRange(range: string): boolean {
  const [addr = '', bitsText] = range.split('/');
  const prefix = parseIPv4(addr) ?? parseIPv6(addr);
  if (!prefix) return false;
  if (bitsText === undefined) return true;
  const bits = Number(bitsText);
  return /^\d+$/.test(bitsText) && bits <= prefix.length * 8;
}
