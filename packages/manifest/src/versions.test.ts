import { describe, expect, it } from 'vitest';
import {
  checkMinMacos,
  checkMinOsaurus,
  compareOsaurusVersions,
  compareSemanticVersions,
  formatMacosVersion,
  parseHostVersion,
  parseSemanticVersion,
  type SemanticVersion,
} from './versions.js';

const version = (major: number, minor: number, patch: number, prerelease: string[] = [], build: string[] = []): SemanticVersion => ({
  major,
  minor,
  patch,
  prerelease,
  build,
});

describe('parseSemanticVersion (strict)', () => {
  it.each<[string, SemanticVersion | undefined]>([
    ['1.2.3', version(1, 2, 3)],
    ['0.0.0', version(0, 0, 0)],
    [' 1.2.3 ', version(1, 2, 3)],
    ['1.2.3-beta.1', version(1, 2, 3, ['beta', '1'])],
    ['1.2.3-rc.1+build.5', version(1, 2, 3, ['rc', '1'], ['build', '5'])],
    ['1.2.3+exp.sha.5114f85', version(1, 2, 3, [], ['exp', 'sha', '5114f85'])],
    ['1.2.3-0a', version(1, 2, 3, ['0a'])],
    ['1.2', undefined],
    ['1', undefined],
    ['v1.2.3', undefined],
    ['01.2.3', undefined],
    ['1.2.3-01', undefined],
    ['1.2.3-', undefined],
    ['1.2.3.4', undefined],
    ['', undefined],
    ['99999999999999999999.0.0', undefined],
  ])('%j', (text, expected) => {
    expect(parseSemanticVersion(text)).toEqual(expected);
  });
});

describe('parseHostVersion (strict, else padded with the suffix dropped)', () => {
  it.each<[string, SemanticVersion | undefined]>([
    ['1.0', version(1, 0, 0)],
    ['2', version(2, 0, 0)],
    ['0.17.2', version(0, 17, 2)],
    ['1.4-beta', version(1, 4, 0)],
    ['1.4.0-beta', version(1, 4, 0, ['beta'])],
    ['1.4.0.1', undefined],
    ['dev', undefined],
    ['', undefined],
    ['1..2', undefined],
  ])('%j', (text, expected) => {
    expect(parseHostVersion(text)).toEqual(expected);
  });
});

describe('compareSemanticVersions', () => {
  // The precedence chain from semver.org §11, lowest first.
  const ascending = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];

  it.each(ascending.slice(1).map((higher, index) => [ascending[index]!, higher]))('%s < %s', (lower, higher) => {
    const low = parseSemanticVersion(lower)!;
    const high = parseSemanticVersion(higher)!;
    expect(compareSemanticVersions(low, high)).toBe(-1);
    expect(compareSemanticVersions(high, low)).toBe(1);
  });

  it('ignores build metadata', () => {
    expect(compareSemanticVersions(parseSemanticVersion('1.0.0+a')!, parseSemanticVersion('1.0.0+b')!)).toBe(0);
  });
});

describe('compareOsaurusVersions', () => {
  it.each<[string, string, -1 | 0 | 1 | undefined]>([
    ['1.0', '1.0.0', 0],
    ['2', '1.9.9', 1],
    ['0.17.0', '0.18.0', -1],
    ['1.0-beta', '1.0.0', 0],
    ['1.0.0-beta', '1.0.0', -1],
    ['dev', '1.0.0', undefined],
    ['1.0.0', 'latest', undefined],
  ])('%s vs %s', (left, right, expected) => {
    expect(compareOsaurusVersions(left, right)).toBe(expected);
  });
});

describe('checkMinOsaurus', () => {
  it.each([
    ['0.18.0', '0.17.9', 'not_met'],
    ['0.18.0', '0.18.0', 'satisfied'],
    ['0.18.0', '0.18', 'satisfied'],
    ['0.18.0', '1', 'satisfied'],
    ['1.0.0-beta.2', '1.0.0-beta.1', 'not_met'],
    ['1.0.0', '1.0-beta', 'satisfied'],
    ['1.0', '0.1.0', 'required_unparseable'],
    ['1.0.0', '', 'host_unparseable'],
    ['1.0.0', 'nightly', 'host_unparseable'],
  ])('requires %s, host %j → %s', (required, host, outcome) => {
    expect(checkMinOsaurus(required, host)).toBe(outcome);
  });
});

describe('checkMinMacos', () => {
  it.each([
    ['14', '13.6.1', 'not_met'],
    ['14', '14', 'satisfied'],
    ['14.2', '14.1.9', 'not_met'],
    ['14.2', '15.0', 'satisfied'],
    ['14.0.1', '14.0', 'not_met'],
    ['Sonoma', '14.0', 'required_unparseable'],
    ['14.0', '', 'os_unparseable'],
  ])('requires %s, OS %j → %s', (required, os, outcome) => {
    expect(checkMinMacos(required, os)).toBe(outcome);
  });

  it('formats versions as M.m.p', () => {
    expect(formatMacosVersion('15')).toBe('15.0.0');
    expect(formatMacosVersion('14.6.1')).toBe('14.6.1');
  });
});
