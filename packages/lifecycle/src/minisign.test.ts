import { describe, expect, it } from 'vitest';
import { generateMinisignKeyPair, LifecycleError, minisignSign, parseMinisignPublicKey, parseMinisignSignature, verifyMinisign } from './index.js';

// A signature made by the minisign tool itself (the format's published example key), over the bytes "test".
const MINISIGN_KEY = 'untrusted comment: minisign public key E7620F1842B4E81F\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n';
const MINISIGN_SIGNATURE = [
  'untrusted comment: signature from minisign secret key',
  'RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=',
  'trusted comment: timestamp:1556193335\tfile:test',
  'y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg==',
  '',
].join('\n');

describe('minisign', () => {
  it('verifies a prehashed (ED) signature produced by the minisign tool', () => {
    const key = parseMinisignPublicKey(MINISIGN_KEY);
    expect(key.id).toBe('E7620F1842B4E81F');
    expect(parseMinisignSignature(MINISIGN_SIGNATURE).algorithm).toBe('ED');
    expect(verifyMinisign(Buffer.from('test'), MINISIGN_SIGNATURE, [key]).trustedComment).toBe('timestamp:1556193335\tfile:test');
    expect(() => verifyMinisign(Buffer.from('tesT'), MINISIGN_SIGNATURE, [key])).toThrow(/file does not match the signature/);
  });

  it('refuses a signature whose trusted comment was edited', () => {
    const edited = MINISIGN_SIGNATURE.replace('file:test', 'file:evil');
    expect(() => verifyMinisign(Buffer.from('test'), edited, [parseMinisignPublicKey(MINISIGN_KEY)])).toThrow(/trusted comment does not match/);
  });

  it.each(['Ed', 'ED'] as const)('signs and verifies with the %s algorithm', (algorithm) => {
    const pair = generateMinisignKeyPair();
    const data = Buffer.from('library bytes');
    const signature = minisignSign(data, pair, { algorithm, trustedComment: 'file:libx.so' });
    expect(parseMinisignSignature(signature).algorithm).toBe(algorithm);
    expect(verifyMinisign(data, signature, [parseMinisignPublicKey(pair.publicKeyText)]).key.id).toBe(pair.publicKey.id);
    expect(() => verifyMinisign(Buffer.from('library bytez'), signature, [pair.publicKey])).toThrow(LifecycleError);
  });

  it('names an untrusted signer', () => {
    const signer = generateMinisignKeyPair();
    const other = generateMinisignKeyPair();
    const signature = minisignSign(Buffer.from('x'), signer);
    expect(() => verifyMinisign(Buffer.from('x'), signature, [other.publicKey])).toThrow(`signed by key ${signer.publicKey.id}, which is not a trusted publisher key`);
  });

  it('rejects text that is not a key or a signature', () => {
    expect(() => parseMinisignPublicKey('RWQnotbase64!!')).toThrow(/not base64/);
    expect(() => parseMinisignPublicKey(Buffer.alloc(42).toString('base64'))).toThrow(/not an Ed25519 key/);
    expect(() => parseMinisignSignature('hello\nworld')).toThrow(/not in minisign format/);
  });
});
