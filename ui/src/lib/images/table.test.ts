import { describe, expect, it } from 'vitest';

import type { ImageRow } from '../../tauri/ipc';
import { DEFAULT_SORT, filterImages, sortImages, toggleSort } from './table';

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
