import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { md4 } from './md4.js';
import { authenticateMessage, negotiateMessage, ntlmCredentials, ntlmv2Responses, ntowfv2, parseChallengeMessage } from './ntlm.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
// MS-NLMP 4.2.1: the common values of the protocol examples.
const credentials = { user: 'User', domain: 'Domain', password: 'Password' };
const serverChallenge = hex('0123456789abcdef');
const clientChallenge = hex('aaaaaaaaaaaaaaaa');
// MS-NLMP 4.2.4: NbDomainName "Domain", NbComputerName "Server", MsvAvEOL.
const targetInfo = hex('02000c0044006f006d00610069006e00 01000c005300650072007600650072000000 0000');

describe('NTLMv2 (MS-NLMP 4.2.4 test vectors)', () => {
  it('gives the NT hash of "Password" (4.2.2.1.2)', () => {
    assert.equal(md4(Buffer.from('Password', 'utf16le')).toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
  });

  it('gives NTOWFv2 (4.2.4.1.1)', () => {
    assert.equal(ntowfv2(credentials).toString('hex'), '0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('gives the LMv2 response (4.2.4.2.1) and the NTProofStr (4.2.4.2.2)', () => {
    const { lm, nt } = ntlmv2Responses(ntowfv2(credentials), { serverChallenge, targetInfo }, Buffer.alloc(8), clientChallenge);
    assert.equal(lm.toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    assert.equal(nt.subarray(0, 16).toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
  });
});

describe('NTLM messages', () => {
  it('splits DOMAIN\\user and leaves a bare user without a domain', () => {
    assert.deepEqual(ntlmCredentials('CORP\\alice', 'pw'), { user: 'alice', domain: 'CORP', password: 'pw' });
    assert.deepEqual(ntlmCredentials('alice', 'pw'), { user: 'alice', domain: '', password: 'pw' });
  });

  it('sends a NEGOTIATE message of type 1 with the NTLMSSP signature', () => {
    const m = Buffer.from(negotiateMessage(), 'base64');
    assert.equal(m.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
    assert.equal(m.readUInt32LE(8), 1);
  });

  it('reads a CHALLENGE and answers it with an AUTHENTICATE whose fields point inside the message', () => {
    const challenge = Buffer.alloc(48 + targetInfo.length);
    Buffer.from('NTLMSSP\0', 'latin1').copy(challenge);
    challenge.writeUInt32LE(2, 8);
    challenge.writeUInt32LE(0x00888201, 20);
    serverChallenge.copy(challenge, 24);
    challenge.writeUInt16LE(targetInfo.length, 40);
    challenge.writeUInt16LE(targetInfo.length, 42);
    challenge.writeUInt32LE(48, 44);
    targetInfo.copy(challenge, 48);
    const parsed = parseChallengeMessage(challenge.toString('base64'));
    assert.deepEqual(parsed.serverChallenge, serverChallenge);
    assert.deepEqual(parsed.targetInfo, targetInfo);

    const m = Buffer.from(authenticateMessage(ntlmCredentials('Domain\\User', 'Password'), parsed, { now: 0, workstation: 'node-1', clientChallenge }), 'base64');
    assert.equal(m.readUInt32LE(8), 3);
    const field = (i: number) => m.subarray(m.readUInt32LE(12 + i * 8 + 4), m.readUInt32LE(12 + i * 8 + 4) + m.readUInt16LE(12 + i * 8));
    assert.equal(field(2).toString('utf16le'), 'Domain');
    assert.equal(field(3).toString('utf16le'), 'User');
    assert.equal(field(4).toString('utf16le'), 'NODE-1');
    // The NT response starts with the proof over the challenge; recomputing it from the message's own blob must match.
    const nt = field(1);
    const expected = ntlmv2Responses(ntowfv2(credentials), parsed, nt.subarray(24, 32), clientChallenge).nt;
    assert.deepEqual(nt, expected);
  });

  it('reads no target info from a challenge that does not flag it (squid\'s fake helper sends such a short one)', () => {
    const fromSquid = hex('4e544c4d535350000200000009000900aeaaaaaa078208204a6fe4c491a543b60000000000003a00574f524b47524f5550');
    const parsed = parseChallengeMessage(fromSquid.toString('base64'));
    assert.equal(parsed.serverChallenge.toString('hex'), '4a6fe4c491a543b6');
    assert.equal(parsed.targetInfo.length, 0);
  });

  it('refuses a challenge that is not NTLMSSP, or whose target info points outside it', () => {
    assert.throws(() => parseChallengeMessage(Buffer.from('hello world, not ntlm at all!!!!!').toString('base64')), /malformed NTLM challenge/);
    const m = Buffer.alloc(48);
    Buffer.from('NTLMSSP\0', 'latin1').copy(m);
    m.writeUInt32LE(2, 8);
    m.writeUInt32LE(0x00800000, 20);
    m.writeUInt16LE(100, 40);
    m.writeUInt32LE(40, 44);
    assert.throws(() => parseChallengeMessage(m.toString('base64')), /out of bounds/);
  });
});
