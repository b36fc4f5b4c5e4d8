// SSRF guard for outbound fetches. Every address a connection could go to is classified
// (./ip-address.ts) before the socket is opened, and the socket connects to exactly the addresses
// that were checked: the guard *is* the `lookup` that Node's net/tls use for the connection, so
// there is no second resolution between check and connect for DNS rebinding to exploit.
// IP-literal hosts never reach `lookup` (net skips it), so the connector checks them itself.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { FetchError } from './fetch-errors.js';
import { type AddressClass, addressInRange, classifyAddress, isValidRange } from './ip-address.js';

export { type AddressClass, classifyAddress } from './ip-address.js';

/** Resolves a host name to every address it has (what the guard then checks). */
export type Resolver = (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;

export interface AddressPolicyOptions {
  /** Allow loopback, private, link-local, ULA, CGNAT … (OPENVOD_ALLOW_PRIVATE_NETWORKS). Metadata endpoints stay refused. */
  readonly allowPrivate: boolean;
  /** Addresses or CIDR ranges allowed whatever their class (an explicit operator choice). */
  readonly allowAddresses?: readonly string[] | undefined;
}

export interface AddressVerdict {
  readonly allowed: boolean;
  readonly class: AddressClass;
}

export interface AddressPolicy {
  check(ip: string): AddressVerdict;
}

export function createAddressPolicy(options: AddressPolicyOptions): AddressPolicy {
  const allowList = options.allowAddresses ?? [];
  const bad = allowList.filter((r) => !isValidRange(r));
  if (bad.length > 0) throw new TypeError(`allowAddresses has invalid entries: ${bad.join(', ')}`);
  return {
    check(ip) {
      const cls = classifyAddress(ip);
      if (allowList.some((range) => addressInRange(ip, range))) return { allowed: true, class: cls };
      if (cls === 'public') return { allowed: true, class: cls };
      if (cls === 'metadata' || cls === 'invalid') return { allowed: false, class: cls };
      return { allowed: options.allowPrivate, class: cls };
    },
  };
}

export function blockedError(host: string, ip: string, cls: AddressClass): FetchError {
  const where = host === ip ? ip : `${host} (${ip})`;
  const why = cls === 'metadata' ? 'a cloud metadata endpoint, never allowed' : `a ${cls} address, and private networks are not allowed`;
  return new FetchError('URLBlocked', `Refusing to connect to ${where}: ${why}`);
}

const systemResolver: Resolver = (hostname, family) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

function familyOf(options: LookupOptions): 0 | 4 | 6 {
  const f = options.family;
  if (f === 4 || f === 'IPv4') return 4;
  if (f === 6 || f === 'IPv6') return 6;
  return 0;
}

/**
 * A `lookup` for net/tls `connect` that resolves the name, refuses the connection when ANY of
 * the addresses is not allowed (a name that resolves to an internal address is an SSRF attempt
 * even if it also has a public one), and hands back exactly the checked addresses to connect to.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, familyOf(options)).then(
      (addresses) => {
        if (addresses.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '', 0);
          return;
        }
        for (const a of addresses) {
          const verdict = policy.check(a.address);
          if (!verdict.allowed) {
            callback(blockedError(hostname, a.address, verdict.class), '', 0);
            return;
          }
        }
        if (options.all) callback(null, [...addresses]);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

export interface GuardedAgentOptions extends AddressPolicyOptions {
  /** Injected resolver (tests); defaults to the system resolver (`dns.lookup`, all addresses). */
  readonly lookup?: Resolver | undefined;
  /** Socket connect timeout (also the TLS handshake); default 10 s. */
  readonly connectTimeoutMs?: number | undefined;
  /** Max connections per origin; default unlimited (the host limiter bounds concurrency). */
  readonly connections?: number | undefined;
  /** Idle keep-alive sockets are closed after this long; default 4 s. */
  readonly keepAliveTimeoutMs?: number | undefined;
}

const stripBrackets = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * An undici Agent whose every connection is checked by the address policy and pinned to the
 * checked address. Redirects are never followed by undici (no redirect interceptor), so callers
 * follow them by hand and each hop goes through this guard again.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const policy = createAddressPolicy(options);
  const connector = buildConnector({
    lookup: createGuardedLookup(policy, options.lookup),
    timeout: options.connectTimeoutMs ?? 10_000,
  });
  const guardedConnect: buildConnector.connector = (connectOptions, callback) => {
    const host = stripBrackets(connectOptions.hostname);
    if (isIP(host) !== 0) {
      const verdict = policy.check(host);
      if (!verdict.allowed) {
        callback(blockedError(host, host, verdict.class), null);
        return;
      }
    }
    connector(connectOptions, callback);
  };
  return new Agent({
    connect: guardedConnect,
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
}
