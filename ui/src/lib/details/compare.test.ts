import { describe, expect, it } from 'vitest';

import type { CompareAnswer, FileChangeRow, ImageRow, PackageChangeRow } from '../../tauri/ipc';
import { candidates, defaultOther, fileSizes, filterFiles, filterPackages, layersText, signedSize } from './compare';

function row(tag: string, created: string | null, overrides: Partial<ImageRow> = {}): ImageRow {
  return {
    reference: `docker.io/library/nginx:${tag}`,
    repository: 'docker.io/library/nginx',
    tag,
    id: `sha256:${tag.padEnd(64, '0')}`,
    shortId: tag.padEnd(12, '0'),
    digest: `sha256:${tag.padEnd(64, 'd')}`,
    created,
    size: 1,
    platform: 'linux/amd64',
    indexDigest: null,
    problem: null,
    ...overrides,
  };
}

describe('defaultOther', () => {
  const old = row('1.25', '2024-01-01T00:00:00Z');
  const previous = row('1.26', '2024-06-01T00:00:00Z');
  const current = row('1.27', '2025-01-01T00:00:00Z');
  const next = row('1.28', '2025-06-01T00:00:00Z');
  const later = row('1.29', '2025-09-01T00:00:00Z');
  const redis = row('7', '2024-12-01T00:00:00Z', { repository: 'docker.io/library/redis', reference: 'redis:7' });

  it('picks the latest earlier build of the same repository', () => {
    expect(defaultOther([old, later, redis, current, previous, next], current)).toBe(previous);
  });

  it('falls back to the earliest later build, then to any build, then to none', () => {
    expect(defaultOther([later, current, next, redis], current)).toBe(next);
    const undated = row('edge', null);
    expect(defaultOther([undated, current], current)).toBe(undated);
    expect(defaultOther([redis, current], current)).toBeNull();
    expect(defaultOther([current, previous], { ...current, repository: null })).toBeNull();
  });

  it('skips images that cannot be read and the image itself under another tag', () => {
    const broken = row('1.26.1', '2024-07-01T00:00:00Z', { problem: 'a blob is missing' });
    const alias = row('stable', '2024-12-31T00:00:00Z', { digest: current.digest });
    expect(defaultOther([broken, alias, previous, current], current)).toBe(previous);
  });
});

describe('candidates', () => {
  it('lists every other readable image once per digest', () => {
    const a = row('a', null);
    const b = row('b', null);
    const b2 = row('b2', null, { digest: b.digest });
    const bad = row('bad', null, { problem: 'x' });
    expect(candidates([a, b, b2, bad], a)).toEqual([b]);
  });
});

describe('formatting', () => {
  it('writes signed sizes and file sizes', () => {
    expect(signedSize(1_500_000)).toBe('+1.50 MB');
    expect(signedSize(-300)).toBe('−300 B');
    expect(signedSize(0)).toBe('±0 B');
    const file = (sizeBefore: number | null, sizeAfter: number | null): FileChangeRow => ({
      path: '/a',
      change: 'modified',
      fileType: 'file',
      sizeBefore,
      sizeAfter,
      what: [],
    });
    expect(fileSizes(file(1000, 2000))).toBe('1.00 kB → 2.00 kB');
    expect(fileSizes(file(5, 5))).toBe('5 B');
    expect(fileSizes(file(1466, 1468))).toBe('1,466 B → 1,468 B');
    expect(fileSizes(file(null, 7))).toBe('7 B');
    expect(fileSizes(file(null, null))).toBe('—');
  });

  it('says how many layers are shared', () => {
    const answer = (base: number, target: number, sharedLayers: number) =>
      ({ base: { layers: base }, target: { layers: target }, sharedLayers }) as CompareAnswer;
    expect(layersText(answer(3, 4, 2))).toBe('3 → 4, the first 2 shared');
    expect(layersText(answer(1, 1, 0))).toBe('1 → 1, no base layer shared');
    expect(layersText(answer(2, 2, 2))).toBe('2 → 2, all shared');
  });
});

describe('filters', () => {
  const pkg = (name: string, change: PackageChangeRow['change']): PackageChangeRow => ({
    name,
    kind: 'deb',
    arch: null,
    from: change === 'added' ? null : '1.0',
    to: change === 'removed' ? null : '2.0',
    change,
    location: '/var/lib/dpkg/status',
  });
  const rows = [pkg('libssl3', 'upgraded'), pkg('zlib1g', 'removed'), pkg('curl', 'added')];

  it('keeps the kinds asked for and the text searched, case-insensitively', () => {
    expect(filterPackages(rows, [], '').map((r) => r.name)).toEqual(['libssl3', 'zlib1g', 'curl']);
    expect(filterPackages(rows, ['removed', 'added'], '').map((r) => r.name)).toEqual(['zlib1g', 'curl']);
    expect(filterPackages(rows, [], ' SSL ').map((r) => r.name)).toEqual(['libssl3']);
    expect(filterPackages(rows, ['added'], 'ssl')).toEqual([]);
    const files: FileChangeRow[] = [
      { path: '/etc/A', change: 'added', fileType: 'file', sizeBefore: null, sizeAfter: 1, what: [] },
      { path: '/usr/b', change: 'removed', fileType: 'file', sizeBefore: 1, sizeAfter: null, what: [] },
    ];
    expect(filterFiles(files, ['removed'], '').map((f) => f.path)).toEqual(['/usr/b']);
    expect(filterFiles(files, [], 'etc/a').map((f) => f.path)).toEqual(['/etc/A']);
  });
});
