import { describe, expect, it } from 'vitest';

import type { ImageRow } from '../../tauri/ipc';
import { DEFAULT_SORT, filterImages, sortImages, toggleSort, vulnsText } from './table';

function row(name: string | null, overrides: Partial<ImageRow> = {}): ImageRow {
  return {
    reference: name === null ? null : `docker.io/library/${name}:latest`,
    repository: name === null ? null : `docker.io/library/${name}`,
    tag: name === null ? null : 'latest',
    id: `sha256:${(name ?? 'none').padEnd(64, '0')}`,
    shortId: (name ?? 'none').padEnd(12, '0'),
    digest: `sha256:${(name ?? 'none').padEnd(64, '1')}`,
    created: '2025-06-12T12:00:00Z',
    size: 1,
    platform: 'linux/amd64',
    indexDigest: null,
    problem: null,
    ...overrides,
  };
}

const names = (rows: ImageRow[]) => rows.map((r) => r.repository?.split('/').pop() ?? '<none>');

describe('sorting', () => {
  const rows = [
    row('bbb', { size: 30, created: '2025-06-10T00:00:00Z', tag: '1.10' }),
    row('aaa', { size: 10, created: '2025-06-14T00:00:00Z', tag: '1.9' }),
    row(null, { size: 20, created: null }),
    row('ccc', { size: 40, created: '2025-06-12T00:00:00Z', platform: null, tag: '2.0' }),
  ];

  it('opens newest first', () => {
    expect(names(sortImages(rows, DEFAULT_SORT))).toEqual(['aaa', 'ccc', 'bbb', '<none>']);
  });

  it('sorts by name, unnamed images last, and reverses on a second click', () => {
    const byName = toggleSort(DEFAULT_SORT, 'name');
    expect(byName).toEqual({ key: 'name', direction: 'ascending' });
    expect(names(sortImages(rows, byName))).toEqual(['aaa', 'bbb', 'ccc', '<none>']);
    const reversed = toggleSort(byName, 'name');
    expect(reversed.direction).toBe('descending');
    expect(names(sortImages(rows, reversed))).toEqual(['<none>', 'ccc', 'bbb', 'aaa']);
  });

  it('sorts sizes biggest first at the first click, and tags as version numbers', () => {
    expect(names(sortImages(rows, toggleSort(DEFAULT_SORT, 'size')))).toEqual(['ccc', 'bbb', '<none>', 'aaa']);
    expect(names(sortImages(rows, toggleSort(DEFAULT_SORT, 'tag')))).toEqual(['aaa', 'bbb', 'ccc', '<none>']);
  });

  it('sorts by image ID and platform', () => {
    expect(names(sortImages(rows, { key: 'id', direction: 'ascending' }))).toEqual(['aaa', 'bbb', 'ccc', '<none>']);
    expect(names(sortImages(rows, { key: 'platform', direction: 'ascending' }))).toEqual([
      'aaa',
      'bbb',
      '<none>',
      'ccc',
    ]);
  });

  it('sorts names as the column shows them, without the registry', () => {
    const mixed = [row('zeta'), row('x', { repository: 'ghcr.io/acme/alpha' })];
    expect(sortImages(mixed, { key: 'name', direction: 'ascending' }).map((r) => r.repository)).toEqual([
      'ghcr.io/acme/alpha',
      'docker.io/library/zeta',
    ]);
  });
});

describe('filtering', () => {
  const rows = [row('nginx'), row('redis', { tag: 'alpine' }), row(null)];

  it('matches name, tag and image ID substrings in any case', () => {
    expect(names(filterImages(rows, 'NGI', false))).toEqual(['nginx']);
    expect(names(filterImages(rows, 'alp', false))).toEqual(['redis']);
    expect(names(filterImages(rows, 'sha256:none', false))).toEqual(['<none>']);
    expect(names(filterImages(rows, '  ', false))).toHaveLength(3);
    expect(filterImages(rows, 'nothing-like-it', false)).toEqual([]);
  });

  it('keeps only dangling images when asked', () => {
    expect(names(filterImages(rows, '', true))).toEqual(['<none>']);
    expect(filterImages(rows, 'nginx', true)).toEqual([]);
  });
});

describe('vulnerabilities', () => {
  const tally = (critical: number, high: number, medium: number, low: number) => ({
    critical,
    high,
    medium,
    low,
    none: 0,
    unknown: 0,
    total: critical + high + medium + low,
  });
  const scanned = (name: string, c: ReturnType<typeof tally>) =>
    row(name, { vulns: { counts: c, source: 'online', importedAt: null, scannedAt: '2025-06-14T10:00:00Z', packagesScanned: 3, packagesCovered: 3 } });

  it('says the counts in words, or that the image was not scanned', () => {
    expect(vulnsText(scanned('a', tally(1, 0, 2, 0)))).toBe('1 critical, 0 high, 2 medium, 0 low');
    expect(vulnsText(row('b'))).toBe('Not scanned');
  });

  it('sorts the most severe first at the first click, ties by the next severity', () => {
    const rows = [row('never'), scanned('low', tally(0, 0, 0, 9)), scanned('crit', tally(1, 0, 0, 0)), scanned('med', tally(0, 0, 3, 0))];
    const sort = toggleSort(DEFAULT_SORT, 'vulns');
    expect(sort).toEqual({ key: 'vulns', direction: 'descending' });
    expect(names(sortImages(rows, sort))).toEqual(['crit', 'med', 'low', 'never']);
    expect(names(sortImages(rows, toggleSort(sort, 'vulns')))).toEqual(['low', 'med', 'crit', 'never']);
  });
});
