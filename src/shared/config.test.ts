import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { advertisedPeerUrl, nodeConfigSchema, serverConfigSchema } from './config.js';
import { parseConfigFile } from './configFile.js';
import { BurrowError } from './errors.js';

/** server.json exactly as `burrow server init` has written it (every key, defaults included). */
const serverFile = {
  listen: '127.0.0.1:8443',
  publicUrl: 'https://127.0.0.1:8443',
  sessionPorts: [40000, 65000],
  sessionHost: '127.0.0.1',
  sessionTtlMs: 28_800_000,
  sessionIdleMs: 900_000,
  nodeGraceMs: 60_000,
  maxSessionsPerUser: 20,
  maxSessionsPerNode: 20,
  maxSessions: 1000,
  keepaliveIntervalMs: 7000,
  keepaliveCountMax: 3,
  maxPendingHandshakes: 256,
  headersTimeoutMs: 20_000,
  sessionHeadersTimeoutMs: 30_000,
  maxConnectionsPerIp: 256,
  maxSessionConnectionsPerIp: 64,
  tunnelAuthTimeoutMs: 15_000,
  maxTunnelAuthAttempts: 6,
  maxServicesPerNode: 32,
  maxChannelsPerNode: 512,
  logLevel: 'info',
  sessionQueueMaxWaitMs: 86_400_000,
  statusHistoryLimit: 200,
};

/** node.json as `burrow node enroll` wrote it, with every optional key a later command may add. */
const nodeFile = {
  serverUrl: 'https://burrow.example.com:8443',
  nodeId: 'nod_1',
  name: 'gw-1',
  tlsPin: 'sha256/AAAA',
  sshHostKey: 'ssh-ed25519 AAAA',
  services: { webui: '127.0.0.1:80', admin: 'https://127.0.0.1:8443' },
  shell: { enabled: true, user: 'burrow' },
  jobs: { enabled: true, updateKey: '-----BEGIN PUBLIC KEY-----\nMCo=\n-----END PUBLIC KEY-----\n' },
  keepaliveIntervalMs: 7000,
  keepaliveCountMax: 3,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
  pendingRetryMs: 30_000,
  logLevel: 'info',
  mode: 'on-demand',
  schedule: { windows: ['Mon-Fri 09:00-18:00'], timeZone: 'Asia/Tokyo', intervalMs: 3_600_000, durationMs: 600_000 },
  modeLocked: true,
  holdCheckMs: 5000,
  proxy: { url: 'http://proxy.lan:3128', username: 'u', sealedPassword: 'sealed' },
  keyRotationMs: 2_592_000_000,
  statusIntervalMs: 60_000,
};

/** The message of the CONFIG_INVALID error `f` throws. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof BurrowError && err.code === 'CONFIG_INVALID', String(err));
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('server.json', () => {
  it('loads what init writes, and the smallest file init ever wrote', () => {
    assert.equal(serverConfigSchema.safeParse(serverFile).success, true);
    assert.equal(serverConfigSchema.safeParse({ listen: '0.0.0.0:8443', publicUrl: 'https://localhost:8443', sessionPorts: [40000, 65000] }).success, true);
  });

  for (const [what, change] of [
    ['session ports out of order', { sessionPorts: [65000, 80] }],
    ['a session port of 0', { sessionPorts: [0, 100] }],
    ['a session port above 65535', { sessionPorts: [40000, 70000] }],
    ['one session port', { sessionPorts: [40000] }],
    ['an unknown log level', { logLevel: 'chatty' }],
    ['a public URL that is not https', { publicUrl: 'ftp://x' }],
    ['a listen port of 0', { listen: '0.0.0.0:0' }],
    ['a misspelt key', { sesionPorts: [40000, 65000] }],
    ['a metrics listener on every interface', { metricsListen: '0.0.0.0:9464' }],
    ['a metrics listener on a public address', { metricsListen: '203.0.113.7:9464' }],
    ['a metrics listener named by host name', { metricsListen: 'localhost:9464' }],
    ['a metrics listener on all IPv6 interfaces', { metricsListen: '[::]:9464' }],
    ['a metrics listener without a port', { metricsListen: '127.0.0.1' }],
    ['an unknown access log destination', { accessLog: 'syslog' }],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.equal(serverConfigSchema.safeParse({ ...serverFile, ...change }).success, false);
    });
  }

  it('takes balancer address blocks for the PROXY protocol, none by default, and refuses anything else', () => {
    assert.deepEqual(serverConfigSchema.parse(serverFile).proxyProtocolFrom, []);
    const blocks = ['127.0.0.10/32', '10.0.0.0/8', '2001:db8::/32', '192.0.2.1'];
    assert.deepEqual(serverConfigSchema.parse({ ...serverFile, proxyProtocolFrom: blocks }).proxyProtocolFrom, blocks);
    for (const bad of [['10.0.0.0/33'], ['balancer.example.com'], '10.0.0.0/8', [''], [10], ['10.0.0.0/8 ']]) {
      assert.equal(serverConfigSchema.safeParse({ ...serverFile, proxyProtocolFrom: bad }).success, false, JSON.stringify(bad));
    }
  });

  it('takes a metrics listener on a loopback or private address, and where the access log goes', () => {
    for (const metricsListen of ['127.0.0.1:9464', '10.1.2.3:9464', '192.168.1.5:9100', '172.20.0.1:9464', '[::1]:9464', '[fd00::5]:9464']) {
      assert.equal(serverConfigSchema.safeParse({ ...serverFile, metricsListen }).success, true, metricsListen);
    }
    for (const accessLog of ['stdout', 'file', 'off']) assert.equal(serverConfigSchema.parse({ ...serverFile, accessLog }).accessLog, accessLog);
    assert.equal(serverConfigSchema.parse(serverFile).accessLog, 'stdout');
    assert.match(refusal(() => parseConfigFile(serverConfigSchema, { ...serverFile, metricsListen: '0.0.0.0:9464' }, '/h/server.json')), /"metricsListen": the metrics listener needs a private or loopback IP address/);
  });

  it('names the key and the file in one sentence', () => {
    const file = '/srv/burrow/server.json';
    assert.equal(refusal(() => parseConfigFile(serverConfigSchema, { ...serverFile, sesionPorts: [1, 2] }, file)), `${file} has an unknown key "sesionPorts"; correct its spelling or remove it.`);
    assert.match(refusal(() => parseConfigFile(serverConfigSchema, { ...serverFile, logLevel: 'chatty' }, file)), /^\/srv\/burrow\/server\.json has an invalid "logLevel": expected one of fatal, error, warn, info, debug, trace, silent\.$/);
    assert.match(refusal(() => parseConfigFile(serverConfigSchema, { ...serverFile, sessionPorts: [65000, 80] }, file)), /has an invalid "sessionPorts": expected \[LOW, HIGH\] with LOW <= HIGH\.$/);
    assert.match(refusal(() => parseConfigFile(serverConfigSchema, { ...serverFile, publicUrl: 'ftp://x' }, file)), /has an invalid "publicUrl": expected an https:\/\/ URL/);
    const noUrl: Record<string, unknown> = { ...serverFile };
    delete noUrl.publicUrl;
    assert.equal(refusal(() => parseConfigFile(serverConfigSchema, noUrl, file)), `${file} lacks the required key "publicUrl".`);
    assert.equal(refusal(() => parseConfigFile(serverConfigSchema, [1], file)), `${file} does not hold a JSON object of settings.`);
  });

  it('blames the environment variable, not the file, for a bad override', () => {
    const overrides = { values: { logLevel: 'loud' }, variables: { logLevel: 'BURROW_LOG_LEVEL' } };
    assert.match(refusal(() => parseConfigFile(serverConfigSchema, serverFile, '/h/server.json', overrides)), /^The environment variable BURROW_LOG_LEVEL is invalid for "logLevel" in \/h\/server\.json: /);
    assert.equal(parseConfigFile(serverConfigSchema, serverFile, '/h/server.json', { ...overrides, values: { logLevel: 'debug' } }).logLevel, 'debug');
  });
});

describe('node.json', () => {
  it('loads what enroll and the node commands write', () => {
    assert.equal(nodeConfigSchema.safeParse(nodeFile).success, true);
    const { serverUrl, nodeId, name, tlsPin, sshHostKey, services } = nodeFile;
    assert.equal(nodeConfigSchema.safeParse({ serverUrl, nodeId, name, tlsPin, sshHostKey, services }).success, true);
  });

  for (const [what, change] of [
    ['a misspelt key', { keepaliveInterval: 5000 }],
    ['a misspelt key inside shell', { shell: { enable: false } }],
    ['a misspelt key inside the schedule', { schedule: { ...nodeFile.schedule, timezone: 'UTC' } }],
    ['a misspelt key inside proxy', { proxy: { url: 'http://proxy.lan:3128', user: 'u' } }],
    ['an unknown log level', { logLevel: 'chatty' }],
    ['a server URL that is not https', { serverUrl: 'ftp://x' }],
    ['a first backoff longer than the longest', { backoffInitialMs: 120_000 }],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.equal(nodeConfigSchema.safeParse({ ...nodeFile, ...change }).success, false);
    });
  }

  it('names a nested key by its path', () => {
    assert.equal(refusal(() => parseConfigFile(nodeConfigSchema, { ...nodeFile, shell: { enable: false } }, '/n/node.json')), '/n/node.json has an unknown key "shell.enable"; correct its spelling or remove it.');
  });
});

describe('advertisedPeerUrl', () => {
  it('is peerUrl, else https://<peerListen>, else nothing; a wildcard peerListen alone is refused', () => {
    assert.equal(advertisedPeerUrl({}), undefined);
    assert.equal(advertisedPeerUrl({ peerListen: '10.0.0.21:8444' }), 'https://10.0.0.21:8444');
    assert.equal(advertisedPeerUrl({ peerListen: '0.0.0.0:8444', peerUrl: 'https://burrow-1.internal:8444' }), 'https://burrow-1.internal:8444');
    for (const peerListen of ['0.0.0.0:8444', '[::]:8444']) {
      assert.throws(() => advertisedPeerUrl({ peerListen }), (err: unknown) => err instanceof BurrowError && err.code === 'CONFIG_INVALID' && /set peerUrl/.test(err.message));
    }
  });

  it('refuses a peerUrl with a path or of another scheme in server.json', () => {
    assert.equal(serverConfigSchema.safeParse({ ...serverFile, peerListen: '10.0.0.21:8444', peerUrl: 'https://10.0.0.21:8444' }).success, true);
    for (const peerUrl of ['https://10.0.0.21:8444/peer', 'http://10.0.0.21:8444', 'https://user@10.0.0.21:8444']) {
      assert.equal(serverConfigSchema.safeParse({ ...serverFile, peerListen: '10.0.0.21:8444', peerUrl }).success, false, peerUrl);
    }
  });
});
