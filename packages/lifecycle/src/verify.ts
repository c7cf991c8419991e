import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONSENT_FILE } from './consent.js';
import { writeFileDurably } from './durable-file.js';
import { LifecycleError } from './errors.js';
import { trustedKeysDirectory } from './layout.js';
import { type MinisignPublicKey, parseMinisignPublicKey, verifyMinisign } from './minisign.js';
import { decodeReceipt, sha256Hex } from './receipt.js';

export const RECEIPT_FILE = 'receipt.json';
/** A library's detached signature sits beside it: `libfoo.so.minisig`. */
export const SIGNATURE_SUFFIX = '.minisig';

/** Why a library may not load; `message` is the upstream text (LIFECYCLE.md §2). */
export type VerificationFailure =
  | { reason: 'receipt_missing'; message: 'Missing receipt.json - plugin cannot be verified' }
  | { reason: 'receipt_unreadable'; message: 'Failed to read receipt.json' }
  | { reason: 'receipt_invalid'; message: 'Failed to parse receipt.json' }
  | { reason: 'library_unreadable'; message: 'Failed to read plugin library file' }
  | { reason: 'checksum_mismatch'; message: 'Checksum verification failed - plugin file may be corrupted or tampered with' }
  | { reason: 'signature_invalid'; message: string }
  | { reason: 'consent_required'; message: 'consent_required: Plugin has not been approved for loading' };

export interface VerifyOptions {
  /** Publisher keys a library signature must come from. */
  trustedKeys: readonly MinisignPublicKey[];
  /** The explicit `--dev` bypass: skip receipt, signature and consent checks. */
  dev?: boolean;
  /** Skip the consent check (the installer verifies before consent exists). */
  skipConsent?: boolean;
}

function signatureFailure(detail: string): VerificationFailure {
  return {
    reason: 'signature_invalid',
    message: `Plugin code signature is invalid or missing - plugins must be signed with a trusted minisign key (${detail})`,
  };
}

/**
 * Verifies one library in its version directory before it is opened:
 * receipt, SHA-256, minisign signature by a trusted publisher, consent — in
 * that order, stopping at the first failure. Null means it may load.
 */
export function verifyLibrary(versionDir: string, library: string, options: VerifyOptions): VerificationFailure | null {
  if (options.dev) return null;
  const integrity = verifyIntegrity(versionDir, library);
  if (integrity.failure) return integrity.failure;
  const signaturePath = library + SIGNATURE_SUFFIX;
  if (!existsSync(signaturePath)) return signatureFailure(`${basename(signaturePath)} not found`);
  try {
    verifyMinisign(integrity.bytes, readFileSync(signaturePath, 'utf8'), options.trustedKeys);
  } catch (error) {
    return signatureFailure(error instanceof LifecycleError ? error.message : String(error));
  }
  if (!options.skipConsent && !existsSync(join(versionDir, CONSENT_FILE))) {
    return { reason: 'consent_required', message: 'consent_required: Plugin has not been approved for loading' };
  }
  return null;
}

/** The receipt and SHA-256 checks of `verifyLibrary`: the library's bytes, or the first failure. */
export function verifyIntegrity(versionDir: string, library: string): { failure: VerificationFailure; bytes?: never } | { failure?: never; bytes: Buffer } {
  const receiptPath = join(versionDir, RECEIPT_FILE);
  if (!existsSync(receiptPath)) return { failure: { reason: 'receipt_missing', message: 'Missing receipt.json - plugin cannot be verified' } };
  let receiptText: string;
  try {
    receiptText = readFileSync(receiptPath, 'utf8');
  } catch {
    return { failure: { reason: 'receipt_unreadable', message: 'Failed to read receipt.json' } };
  }
  const receipt = decodeReceipt(receiptText);
  if (!receipt) return { failure: { reason: 'receipt_invalid', message: 'Failed to parse receipt.json' } };
  let bytes: Buffer;
  try {
    bytes = readFileSync(library);
  } catch {
    return { failure: { reason: 'library_unreadable', message: 'Failed to read plugin library file' } };
  }
  if (sha256Hex(bytes) !== receipt.dylib_sha256.toLowerCase()) {
    return { failure: { reason: 'checksum_mismatch', message: 'Checksum verification failed - plugin file may be corrupted or tampered with' } };
  }
  return { bytes };
}

/** Every `*.pub` in `<home>/config/trusted-keys`; a file that does not parse is an error naming it. */
export function readTrustedKeys(home: string): MinisignPublicKey[] {
  const directory = trustedKeysDirectory(home);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.pub'))
    .sort()
    .map((file) => {
      try {
        return parseMinisignPublicKey(readFileSync(join(directory, file), 'utf8'));
      } catch (error) {
        throw new LifecycleError('invalid_key', `Trusted key ${join(directory, file)} is not a minisign public key; fix or delete it.`, { cause: error });
      }
    });
}

/** Adds a publisher's minisign public key to `<home>/config/trusted-keys/<KEYID>.pub`. */
export function trustPublisherKey(home: string, publicKeyText: string): MinisignPublicKey {
  const key = parseMinisignPublicKey(publicKeyText);
  const directory = trustedKeysDirectory(home);
  mkdirSync(directory, { recursive: true });
  const line = publicKeyText.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('untrusted comment:'))!;
  writeFileDurably(join(directory, `${key.id}.pub`), `untrusted comment: minisign public key ${key.id}\n${line}\n`);
  return key;
}
