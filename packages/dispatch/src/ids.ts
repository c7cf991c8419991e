import { parseUuid } from '@osr-host/abi';
import { randomUUID } from 'node:crypto';

/** A fresh upper-case task id (D17). */
export function mintTaskId(): string {
  return randomUUID().toUpperCase();
}

/** The upper-case form of a UUID string, or null when `value` is not one. */
export function normalizeUuid(value: unknown): string | null {
  return typeof value === 'string' ? parseUuid(value) : null;
}
