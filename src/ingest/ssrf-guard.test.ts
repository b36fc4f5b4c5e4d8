// The SSRF guard: address classification (pure), the guarded lookup, and the agent end to end
// against loopback servers that count TCP connections.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { test } from 'node:test';
import { startOrigin } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';
import { FetchError } from './fetch-errors.js';
import { addressInRange, parseIPv6 } from './ip-address.js';
import { type AddressClass, classifyAddress, createAddressPolicy, createGuardedLookup } from './ssrf-guard.js';

const CASES: ReadonlyArray<readonly [string, AddressClass]> = [
  // IPv4
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['100.63.255.255', 'public'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.0', 'public'],
  ['100.100.100.200', 'metadata'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['172.15.255.255', 'public'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.0', 'public'],
  ['192.0.0.8', 'reserved'],
  ['192.0.0.192', 'metadata'],
  ['192.0.2.1', 'documentation'],
  ['192.88.99.1', 'reserved'],
  ['192.168.1.1', 'private'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.20.0.0', 'public'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['[::1]', 'loopback'],
  ['2606:4700:4700::1111', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['fc00::1', 'ula'],
  ['fd12:3456:789a::1', 'ula'],
  ['fd00:ec2::254', 'metadata'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001::1', 'reserved'], // Teredo
  ['100::1', 'reserved'],
  ['4000::1', 'reserved'],
  ['::2', 'unspecified'], // IPv4-compatible ::0.0.0.2
  // IPv6 forms carrying an IPv4 address → the IPv4 address decides
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:a00:1', 'private'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:8.8.8.8', 'public'],
  ['::ffff:0:127.0.0.1', 'loopback'], // IPv4-translated
  ['::127.0.0.1', 'loopback'], // IPv4-compatible
  ['::7f00:1', 'loopback'],
  ['::8.8.8.8', 'public'],
  ['64:ff9b::127.0.0.1', 'loopback'], // NAT64
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::808:808', 'public'],
  ['64:ff9b:1::1', 'private'],
  ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
  ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
  ['2002:808:808::1', 'public'],
  // not addresses
  ['localhost', 'invalid'],
  ['127.1', 'invalid'],
  ['2130706433', 'invalid'],
  ['', 'invalid'],
  ['::ffff:999.0.0.1', 'invalid'],
];

test('classifyAddress', () => {
  for (const [ip, expected] of CASES) assert.equal(classifyAddress(ip), expected, ip);
});

test('IPv6 parsing agrees across textual forms', () => {
  const a = parseIPv6('::ffff:127.0.0.1');
  assert.deepEqual(a, parseIPv6('::ffff:7f00:1'));
  assert.deepEqual(a, parseIPv6('0:0:0:0:0:ffff:7f00:0001'));
  assert.deepEqual(parseIPv6('1::'), parseIPv6('1:0:0:0:0:0:0:0'));
  assert.equal(parseIPv6('1:::2'), undefined);
});

test('addressInRange', () => {
  assert.ok(addressInRange('127.0.0.1', '127.0.0.1/32'));
  assert.ok(addressInRange('127.0.0.1', '127.0.0.1'));
  assert.ok(!addressInRange('127.0.0.2', '127.0.0.1/32'));
  assert.ok(addressInRange('10.1.2.3', '10.0.0.0/8'));
  assert.ok(addressInRange('fd00::5', 'fd00::/8'));
  assert.ok(!addressInRange('10.1.2.3', 'fd00::/8'));
});

test('WHATWG URL parsing normalises numeric IPv4 forms before the guard sees them', () => {
  const forms: ReadonlyArray<readonly [string, string]> = [
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0177.0.0.01/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:ffff:a00:1]/', '[::ffff:a00:1]'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
  ];
  for (const [url, host] of forms) {
    const hostname = new URL(url).hostname;
    assert.equal(hostname, host, url);
    assert.notEqual(classifyAddress(hostname), 'public', url);
    assert.notEqual(classifyAddress(hostname), 'invalid', url);
  }
});

test('address policy: private allowed only when asked; metadata never (unless explicitly listed)', () => {
  const strict = createAddressPolicy({ allowPrivate: false });
  const lax = createAddressPolicy({ allowPrivate: true });
  const listed = createAddressPolicy({ allowPrivate: false, allowAddresses: ['10.0.0.0/8', '169.254.169.254'] });
  assert.equal(strict.check('8.8.8.8').allowed, true);
  assert.equal(strict.check('10.0.0.1').allowed, false);
  assert.equal(lax.check('10.0.0.1').allowed, true);
  assert.equal(lax.check('::1').allowed, true);
  assert.equal(lax.check('169.254.169.254').allowed, false);
  assert.equal(lax.check('::ffff:100.100.100.200').allowed, false);
  assert.equal(listed.check('10.9.9.9').allowed, true);
  assert.equal(listed.check('169.254.169.254').allowed, true);
  assert.equal(listed.check('192.168.0.1').allowed, false);
  assert.throws(() => createAddressPolicy({ allowPrivate: false, allowAddresses: ['10.0.0.0/33'] }), TypeError);
});

function lookupOnce(fn: ReturnType<typeof createGuardedLookup>, host: string, all: boolean): Promise<{ err: Error | null; result: unknown }> {
  return new Promise((resolve) => {
    fn(host, { all }, (err, address, family) => resolve({ err, result: all ? address : [address, family] }));
  });
}

test('guarded lookup: hands back exactly the checked addresses, refuses if any is not allowed', async () => {
  const answers: Record<string, LookupAddress[]> = {
    'public.example': [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
    'mixed.example': [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }],
    'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
    'empty.example': [],
  };
  const lookup = createGuardedLookup(createAddressPolicy({ allowPrivate: false }), async (host) => answers[host] ?? []);
  assert.deepEqual((await lookupOnce(lookup, 'public.example', true)).result, answers['public.example']);
  assert.deepEqual((await lookupOnce(lookup, 'public.example', false)).result, ['93.184.216.34', 4]);
  const mixed = await lookupOnce(lookup, 'mixed.example', true);
  assert.ok(mixed.err instanceof FetchError && mixed.err.code === 'URLBlocked');
  assert.match(mixed.err.message, /10\.0\.0\.7/);
  const mapped = await lookupOnce(lookup, 'mapped.example', false);
  assert.ok(mapped.err instanceof FetchError && mapped.err.code === 'URLBlocked');
  const empty = await lookupOnce(lookup, 'empty.example', false);
  assert.equal((empty.err as NodeJS.ErrnoException).code, 'ENOTFOUND');
});

test('loopback refused with allowPrivate=false in every URL form: no connection ever reaches it', async (t) => {
  const kit = await setupKit(t, { agent: { allowPrivate: false } });
  kit.origin.serveBytes('/v', Buffer.from('secret'));
  const p = kit.origin.port;
  const urls = [
    `http://127.0.0.1:${p}/v`,
    `http://2130706433:${p}/v`,
    `http://0x7f.1:${p}/v`,
    `http://017700000001:${p}/v`,
    `http://127.1:${p}/v`,
    `http://0.0.0.0:${p}/v`,
    `http://0:${p}/v`,
    `http://[::ffff:127.0.0.1]:${p}/v`,
    `http://[::1]:${p}/v`,
    `http://localhost:${p}/v`, // through the real system resolver
  ];
  for (const url of urls) {
    const err = await kit.fail(url);
    assert.equal(err.code, 'URLBlocked', url);
    assert.equal(err.retryable, false);
  }
  assert.equal(kit.origin.stats().connections, 0);
  assert.equal(kit.origin.requests().length, 0);
});

test('metadata addresses are refused even with allowPrivate=true', async (t) => {
  const kit = await setupKit(t, { agent: { allowPrivate: true } });
  for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://100.100.100.200/latest/meta-data/', 'http://[fd00:ec2::254]/']) {
    const err = await kit.fail(url);
    assert.equal(err.code, 'URLBlocked', url);
  }
});

test('DNS rebinding: the address checked is the address connected to, per connection', async (t) => {
  // "public" = 127.0.0.1 (explicitly allowed for the test); the rebinding target is 127.0.0.2 on
  // the same port. The first connection resolves to the allowed address; the origin then resets
  // it mid-body, and the retry's connection resolves to the target — and is refused.
  const resolved: string[] = [];
  const kit = await setupKit(t, {
    agent: {
      allowPrivate: false,
      allowAddresses: ['127.0.0.1/32'],
      lookup: async () => {
        const address = resolved.length === 0 ? '127.0.0.1' : '127.0.0.2';
        resolved.push(address);
        return [{ address, family: 4 }];
      },
    },
  });
  const target = await startOrigin({ host: '127.0.0.2', port: kit.origin.port });
  t.after(() => target.close());
  target.serveBytes('/v', Buffer.alloc(200_000, 1));
  kit.origin.serveBytes('/v', Buffer.alloc(200_000, 2));
  kit.origin.fault('/v', { kind: 'reset', afterBytes: 65_536 });
  const err = await kit.fail(`http://rebind.example:${kit.origin.port}/v`);
  assert.equal(err.code, 'URLBlocked');
  assert.deepEqual(resolved, ['127.0.0.1', '127.0.0.2'], 'one resolution per connection, no separate "check" lookup');
  assert.equal(kit.origin.stats().connections, 1);
  assert.equal(target.stats().connections, 0, 'the rebound address never got a connection');
});

test('a host resolving to both an allowed and a refused address is refused outright', async (t) => {
  const kit = await setupKit(t, {
    agent: {
      allowPrivate: false,
      allowAddresses: ['127.0.0.1/32'],
      lookup: async () => [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }],
    },
  });
  kit.origin.serveBytes('/v', Buffer.from('x'));
  const err = await kit.fail(`http://mixed.example:${kit.origin.port}/v`);
  assert.equal(err.code, 'URLBlocked');
  assert.equal(kit.origin.stats().connections, 0);
});

test('allowPrivate=true reaches loopback (how the other tests run)', async (t) => {
  const kit = await setupKit(t, { agent: { allowPrivate: true } });
  kit.origin.serveBytes('/v', Buffer.from('ok'));
  const r = await kit.fetch(`http://localhost:${kit.origin.port}/v`);
  assert.equal(r.size, 2);
});
