import { randomUUID } from 'node:crypto';

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

/** A fresh upper-case task id (D17). */
export function mintTaskId(): string {
  return randomUUID().toUpperCase();
}

/** The upper-case form of a UUID string, or null when `value` is not one. */
export function normalizeUuid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return UUID.test(trimmed) ? trimmed.toUpperCase() : null;
}
