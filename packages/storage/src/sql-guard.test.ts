import { describe, expect, it } from 'vitest';
import type { StorageError } from './errors.js';
import { assertAllowedSql } from './sql-guard.js';

function verdict(sql: string): string {
  try {
    assertAllowedSql(sql);
    return 'allowed';
  } catch (error) {
    return (error as StorageError).code;
  }
}

describe('assertAllowedSql', () => {
  it.each([
    "ATTACH DATABASE '/tmp/other.db' AS other",
    "attach 'other.db' as other",
    "  aTtAcH 'other.db' AS other",
    "/**/ATTACH 'other.db' AS other",
    "/* comment */\n\tATTACH\n'other.db'\tAS other",
    "-- leading comment\nATTACH 'other.db' AS other",
    "ATTACH/**/'other.db' AS other",
    "SELECT 1; ATTACH 'other.db' AS other",
    "SELECT 'it''s'; ATTACH 'other.db' AS other",
    'SELECT "a""b"; ATTACH \'other.db\' AS other',
    'DETACH other',
    'detach database other',
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT LOAD_EXTENSION('/tmp/evil.so')",
    'SELECT "load_extension"(\'/tmp/evil.so\')',
    "SELECT [load_extension]('/tmp/evil.so')",
    "SELECT `load_extension`('/tmp/evil.so')",
    "VACUUM INTO '/tmp/copy.db'",
    "vacuum main into '/tmp/copy.db'",
    'PRAGMA max_page_count = 999999999',
    'PRAGMA main.max_page_count=999999999',
    "PRAGMA 'max_page_count'(999999999)",
    'PRAGMA "max_page_count" = 1',
  ])('refuses %j', (sql) => {
    expect(verdict(sql)).toBe('forbidden');
  });

  it.each([
    "SELECT 'attach'",
    "INSERT INTO notes VALUES ('please see the attachment, then detach it')",
    'SELECT "attach" FROM t',
    "SELECT 'load_extension(1)'",
    'SELECT :attach, @detach, $load_extension',
    '-- ATTACH in a comment\nSELECT 1',
    '/* load_extension(x) */ SELECT 1',
    'PRAGMA max_page_count',
    'PRAGMA page_count',
    'VACUUM',
    "INSERT INTO t SELECT 'vacuum'",
    "SELECT 'it''s ATTACH'",
  ])('allows %j', (sql) => {
    expect(verdict(sql)).toBe('allowed');
  });

  it('refuses NUL characters, which would make SQLite stop reading early', () => {
    expect(verdict('SELECT 1\u0000; DROP TABLE t')).toBe('invalid_request');
  });

  it('tolerates unterminated quotes and comments without hiding what follows the opening', () => {
    expect(verdict("ATTACH 'unterminated")).toBe('forbidden');
    expect(verdict("SELECT 'unterminated ATTACH")).toBe('allowed');
    expect(verdict('SELECT 1 /* never closed ATTACH')).toBe('allowed');
  });

  it('scans a 10 MB statement', () => {
    const literal = 'x'.repeat(10 * 1024 * 1024);
    expect(verdict(`INSERT INTO t VALUES ('${literal}')`)).toBe('allowed');
    expect(verdict(`SELECT ${'1 + '.repeat(2_000_000)}1; ATTACH 'x' AS y`)).toBe('forbidden');
  });

  it('gives a message that says what is allowed', () => {
    expect(() => assertAllowedSql('DETACH x')).toThrowError(/Forbidden SQL statement: .*own file only/);
  });
});
