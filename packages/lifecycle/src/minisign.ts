import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { LifecycleError } from './errors.js';

/**
 * Minisign (https://jedisct1.github.io/minisign/) public keys and detached
 * signatures, verified with Node's ed25519. `Ed` signs the file itself; `ED`
 * (minisign's default since 0.10) signs its BLAKE2b-512 hash.
 */

/** A parsed minisign public key. `keyId` is the 8 raw bytes; `id` is how minisign prints it. */
export interface MinisignPublicKey {
  /** Upper-case hex as minisign prints it (the key id read as a little-endian integer). */
  id: string;
  keyId: Buffer;
  key: KeyObject;
}

export interface MinisignSignature {
  algorithm: 'Ed' | 'ED';
  keyId: Buffer;
  signature: Buffer;
  trustedComment: string;
  globalSignature: Buffer;
}

const UNTRUSTED_PREFIX = 'untrusted comment:';
const TRUSTED_PREFIX = 'trusted comment: ';

function printableKeyId(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

function decodeBase64Exact(text: string, expectedBytes: number, what: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new LifecycleError('invalid_key', `The ${what} is not base64; copy it again from the .pub or .minisig file.`);
  }
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== expectedBytes) {
    throw new LifecycleError('invalid_key', `The ${what} decodes to ${bytes.length} bytes, not ${expectedBytes}; it is not a minisign ${what}.`);
  }
  return bytes;
}

function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Accepts the bare base64 line (`RW…`) or a whole `.pub` file with its comment line. */
export function parseMinisignPublicKey(text: string): MinisignPublicKey {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const keyLine = lines.find((line) => !line.startsWith(UNTRUSTED_PREFIX));
  if (keyLine === undefined) throw new LifecycleError('invalid_key', 'The minisign public key is empty; pass the key line that starts with "RW".');
  const bytes = decodeBase64Exact(keyLine, 42, 'public key');
  if (bytes.subarray(0, 2).toString('latin1') !== 'Ed') {
    throw new LifecycleError('invalid_key', 'The minisign public key is not an Ed25519 key (algorithm is not "Ed").');
  }
  const keyId = Buffer.from(bytes.subarray(2, 10));
  return { id: printableKeyId(keyId), keyId, key: ed25519PublicKey(Buffer.from(bytes.subarray(10, 42))) };
}

/** Parses a `.minisig` file: untrusted comment, signature line, trusted comment, global signature. */
export function parseMinisignSignature(text: string): MinisignSignature {
  const lines = text.split(/\r?\n/);
  const [untrusted, signatureLine, trusted, globalLine] = lines;
  if (!untrusted?.startsWith(UNTRUSTED_PREFIX) || signatureLine === undefined || !trusted?.startsWith(TRUSTED_PREFIX) || globalLine === undefined) {
    throw new LifecycleError(
      'signature_invalid',
      'Signature verification failed: the signature is not in minisign format (untrusted comment, signature, trusted comment, global signature).',
    );
  }
  let bytes: Buffer;
  let globalSignature: Buffer;
  try {
    bytes = decodeBase64Exact(signatureLine, 74, 'signature');
    globalSignature = decodeBase64Exact(globalLine, 64, 'global signature');
  } catch (error) {
    throw new LifecycleError('signature_invalid', `Signature verification failed: ${(error as Error).message}`, { cause: error });
  }
  const algorithm = bytes.subarray(0, 2).toString('latin1');
  if (algorithm !== 'Ed' && algorithm !== 'ED') {
    throw new LifecycleError('signature_invalid', `Signature verification failed: unknown minisign algorithm "${algorithm}".`);
  }
  return {
    algorithm,
    keyId: Buffer.from(bytes.subarray(2, 10)),
    signature: Buffer.from(bytes.subarray(10, 74)),
    trustedComment: trusted.slice(TRUSTED_PREFIX.length),
    globalSignature,
  };
}

function signedMessage(algorithm: 'Ed' | 'ED', data: Uint8Array): Uint8Array {
  return algorithm === 'ED' ? createHash('blake2b512').update(data).digest() : data;
}

/**
 * Checks a detached minisign signature over `data` against the trusted keys.
 * Both the signature and the global signature (which covers the trusted
 * comment) must verify. Returns the key that signed.
 */
export function verifyMinisign(data: Uint8Array, signatureText: string, trustedKeys: readonly MinisignPublicKey[]): { key: MinisignPublicKey; trustedComment: string } {
  const parsed = parseMinisignSignature(signatureText);
  const key = trustedKeys.find((candidate) => candidate.keyId.equals(parsed.keyId));
  if (key === undefined) {
    throw new LifecycleError(
      'signature_invalid',
      `Signature verification failed: signed by key ${printableKeyId(parsed.keyId)}, which is not a trusted publisher key; trust the publisher's key or reinstall from a trusted source.`,
    );
  }
  const signatureOk = verify(null, signedMessage(parsed.algorithm, data), key.key, parsed.signature);
  const commentOk = verify(null, Buffer.concat([parsed.signature, Buffer.from(parsed.trustedComment)]), key.key, parsed.globalSignature);
  if (!signatureOk || !commentOk) {
    throw new LifecycleError(
      'signature_invalid',
      `Signature verification failed: the ${signatureOk ? 'trusted comment' : 'file'} does not match the signature by key ${key.id}; the file may have been tampered with.`,
    );
  }
  return { key, trustedComment: parsed.trustedComment };
}

/** A signing key for publishers: the private key stays with the caller; `publicKeyText` is the `.pub` file. */
export interface MinisignKeyPair {
  privateKey: KeyObject;
  publicKey: MinisignPublicKey;
  publicKeyText: string;
}

/** Creates an Ed25519 key pair with a random minisign key id. */
export function generateMinisignKeyPair(): MinisignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = randomBytes(8);
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const line = Buffer.concat([Buffer.from('Ed', 'latin1'), keyId, raw]).toString('base64');
  const publicKeyText = `untrusted comment: minisign public key ${printableKeyId(keyId)}\n${line}\n`;
  return { privateKey, publicKey: { id: printableKeyId(keyId), keyId, key: publicKey }, publicKeyText };
}

export interface MinisignSignOptions {
  /** `ED` (prehashed, minisign's default) or `Ed` (legacy). */
  algorithm?: 'Ed' | 'ED';
  trustedComment?: string;
}

/** Produces `.minisig` text for `data`, readable by `minisign -V`. */
export function minisignSign(data: Uint8Array, keyPair: Pick<MinisignKeyPair, 'privateKey' | 'publicKey'>, options: MinisignSignOptions = {}): string {
  const algorithm = options.algorithm ?? 'ED';
  const trustedComment = options.trustedComment ?? `timestamp:${Math.floor(Date.now() / 1000)}`;
  const signature = sign(null, signedMessage(algorithm, data), keyPair.privateKey);
  const globalSignature = sign(null, Buffer.concat([signature, Buffer.from(trustedComment)]), keyPair.privateKey);
  const signatureLine = Buffer.concat([Buffer.from(algorithm, 'latin1'), keyPair.publicKey.keyId, signature]).toString('base64');
  return `untrusted comment: signature from osr-host minisign key ${keyPair.publicKey.id}\n${signatureLine}\n${TRUSTED_PREFIX}${trustedComment}\n${globalSignature.toString('base64')}\n`;
}
