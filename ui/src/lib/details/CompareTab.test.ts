import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';

import type { CompareAnswer, FindingRow, ImageRow, VulnCompareAnswer } from '../../tauri/ipc';
import { mockCommands } from '../../tauri/testing';
import CompareTab from './CompareTab.svelte';

function image(tag: string, created: string, overrides: Partial<ImageRow> = {}): ImageRow {
  return {
    reference: `docker.io/library/debian:${tag}`,
    repository: 'docker.io/library/debian',
    tag,
    id: `sha256:${tag.replace('.', '').padEnd(64, 'c')}`,
    shortId: tag.replace('.', '').padEnd(12, 'c'),
    digest: `sha256:${tag.replace('.', '').padEnd(64, 'd')}`,
    created,
    size: 48_000_000,
    platform: 'linux/amd64',
    indexDigest: null,
    problem: null,
    ...overrides,
  };
}

const OLD = image('12.5', '2024-03-01T00:00:00Z', {
  vulns: {
    counts: { critical: 1, high: 2, medium: 0, low: 0, none: 0, unknown: 0, total: 3 },
    source: 'offline',
    importedAt: null,
    scannedAt: '2025-01-01T00:00:00Z',
    packagesScanned: 90,
    packagesCovered: 90,
  },
});
const NEW = image('12.6', '2024-06-01T00:00:00Z', {
  vulns: {
    counts: { critical: 0, high: 1, medium: 0, low: 0, none: 0, unknown: 0, total: 1 },
    source: 'offline',
    importedAt: null,
    scannedAt: '2025-01-01T00:00:00Z',
    packagesScanned: 90,
    packagesCovered: 90,
  },
});
const OTHER = image('x', '2023-01-01T00:00:00Z', { repository: 'docker.io/library/alpine', reference: 'docker.io/library/alpine:3' });

function answer(files = 3): CompareAnswer {
  return {
    base: { reference: OLD.reference, digest: OLD.digest, created: OLD.created, size: 48_000_000, os: 'Debian GNU/Linux 12 (bookworm)', layers: 1, packages: 90, files: 5000 },
    target: { reference: NEW.reference, digest: NEW.digest, created: NEW.created, size: 48_500_000, os: 'Debian GNU/Linux 12 (bookworm)', layers: 1, packages: 91, files: 5001 },
    sharedLayers: 0,
    sizeChange: 500_000,
    packages: [
      { name: 'libssl3', kind: 'deb', arch: 'amd64', from: '3.0.11-1~deb12u2', to: '3.0.13-1~deb12u1', change: 'upgraded', location: '/var/lib/dpkg/status' },
      { name: '<img src=x onerror=alert(1)>', kind: 'npm', arch: null, from: null, to: '1.0.0', change: 'added', location: '/app/package.json' },
      { name: 'zlib1g', kind: 'deb', arch: 'amd64', from: '1:1.2.13', to: null, change: 'removed', location: '/var/lib/dpkg/status' },
    ],
    unchangedPackages: 88,
    files: [
      { path: '/etc/<script>alert(1)</script>', change: 'added', fileType: 'file', sizeBefore: null, sizeAfter: 10, what: [] },
      { path: '/usr/bin/old', change: 'removed', fileType: 'file', sizeBefore: 2000, sizeAfter: null, what: [] },
      { path: '/var/lib/dpkg/status', change: 'modified', fileType: 'file', sizeBefore: 1000, sizeAfter: 1200, what: ['size', 'time'] },
    ].slice(0, files) as CompareAnswer['files'],
    filesAdded: 1,
    filesRemoved: 1,
    filesModified: 1 + (files < 3 ? 3 - files : 0),
    filesUnchanged: 4998,
    addedBytes: 10,
    removedBytes: 2000,
    modifiedBytesChange: 200,
    config: [
      { field: 'cmd', key: null, before: '["nginx"]', after: '["nginx","-g","daemon off;"]' },
      { field: 'env', key: 'NGINX_VERSION', before: '1.25.5', after: '<b>1.27.0</b>' },
      { field: 'exposed_ports', key: '443/tcp', before: null, after: '443/tcp' },
    ],
  };
}

const dom = componentFixture();
const { byTestId, allByTestId } = dom;

describe('CompareTab', () => {
  it('compares with the previous build by default and shows what changed, as text', async () => {
    const asked: unknown[] = [];
    mockCommands({
      list_images: () => [OTHER, NEW, OLD],
      compare_images: (args) => {
        asked.push(args);
        return answer();
      },
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    expect((byTestId('compare-select') as HTMLSelectElement).value).toBe(OLD.digest);
    expect(asked).toEqual([{ base: OLD.digest, target: NEW.digest }]);
    expect(byTestId('compare-direction')?.textContent).toContain('From docker.io/library/debian:12.5 to docker.io/library/debian:12.6');
    expect(byTestId('compare-size')?.textContent).toContain('(+500 kB)');
    expect(byTestId('compare-layers')?.textContent).toBe('1 → 1, no base layer shared');
    expect(byTestId('compare-packages-line')?.textContent).toContain('1 upgraded');
    expect(byTestId('compare-packages-line')?.textContent).toContain('88 unchanged');
    expect(byTestId('compare-packages-line')?.textContent).not.toContain('downgraded');
    expect(byTestId('compare-vulns')?.textContent).toContain('3 → 1');
    expect(allByTestId('compare-package-name').map((e) => e.textContent)).toEqual([
      'libssl3',
      '<img src=x onerror=alert(1)>',
      'zlib1g',
    ]);
    expect(allByTestId('compare-package-mark').map((e) => e.textContent)).toEqual(['↑', '+', '−']);
    expect(allByTestId('compare-package-from').map((e) => e.textContent)).toEqual(['3.0.11-1~deb12u2', '—', '1:1.2.13']);
    expect(allByTestId('compare-file-path').map((e) => e.textContent)).toEqual([
      '/etc/<script>alert(1)</script>',
      '/usr/bin/old',
      '/var/lib/dpkg/status',
    ]);
    expect(allByTestId('compare-file-what')[2]?.textContent).toBe('size, time');
    expect(allByTestId('compare-config-setting').map((e) => e.textContent)).toEqual([
      'Command',
      'Environment NGINX_VERSION',
      'Exposed port 443/tcp',
    ]);
    expect(allByTestId('compare-config-to').map((e) => e.textContent)).toEqual([
      '["nginx","-g","daemon off;"]',
      '<b>1.27.0</b>',
      'present',
    ]);
    expect(allByTestId('compare-config-from')[2]?.textContent).toBe('(none)');
    expect(dom.target.querySelector('script, img, b')).toBeNull();
    expect(byTestId('compare-files-truncated')).toBeNull();
  });

  it('filters by kind of change, swaps the direction and says when the file list was cut', async () => {
    const asked: { base: string; target: string }[] = [];
    mockCommands({
      list_images: () => [OLD, NEW],
      compare_images: (args) => {
        asked.push(args as { base: string; target: string });
        return answer(1);
      },
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    (allByTestId('compare-packages-chip').find((c) => c.getAttribute('data-kind') === 'removed') as HTMLButtonElement).click();
    flushSync();
    expect(allByTestId('compare-package-name').map((e) => e.textContent)).toEqual(['zlib1g']);
    const filter = byTestId('compare-packages-filter') as HTMLInputElement;
    filter.value = 'nothing-like-this';
    filter.dispatchEvent(new Event('input'));
    flushSync();
    expect(allByTestId('compare-package-name')).toEqual([]);
    expect(byTestId('compare-files-truncated')?.textContent).toContain('Showing the first 1 of 5 changed paths');
    (byTestId('compare-swap') as HTMLButtonElement).click();
    await settle();
    expect(asked.at(-1)).toEqual({ base: NEW.digest, target: OLD.digest });
  });

  it('compares with the image it was opened for, when it is in the store', async () => {
    const asked: unknown[] = [];
    mockCommands({
      list_images: () => [OTHER, NEW, OLD],
      compare_images: (args) => {
        asked.push(args);
        return answer();
      },
    });
    dom.mount(CompareTab, { image: NEW, initialOther: OTHER.digest });
    await settle();
    expect((byTestId('compare-select') as HTMLSelectElement).value).toBe(OTHER.digest);
    expect(asked).toEqual([{ base: OTHER.digest, target: NEW.digest }]);
    dom.unmount();
    // Gone from the store meanwhile: the previous build, as usual.
    dom.mount(CompareTab, { image: NEW, initialOther: `sha256:${'9'.repeat(64)}` });
    await settle();
    expect((byTestId('compare-select') as HTMLSelectElement).value).toBe(OLD.digest);
  });

  it('says so when there is nothing to compare with, and shows a failure with Retry', async () => {
    mockCommands({ list_images: () => [NEW] });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    expect(byTestId('compare-none')?.textContent).toContain('no other image');
    dom.unmount();

    let fail = true;
    mockCommands({
      list_images: () => [OLD, NEW],
      compare_images: () => {
        if (fail) throw { code: 'notFound', message: 'blob sha256:ab is missing from the store' };
        return answer();
      },
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    expect(byTestId('compare-error')?.textContent).toContain('blob sha256:ab is missing');
    fail = false;
    (byTestId('compare-error')?.querySelector('button') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('compare-error')).toBeNull();
    expect(allByTestId('compare-package-row')).toHaveLength(3);
  });

  it('scans both images on request and lists the advisories fixed and introduced; cancels when left', async () => {
    const finding = (id: string, severity: FindingRow['severity'], pkg: string): FindingRow => ({
      id,
      aliases: ['CVE-2024-0727'],
      summary: '<script>alert(1)</script>',
      severity,
      severitySource: 'cvss',
      cvssScore: null,
      cvssVector: null,
      package: pkg,
      version: '3.0.11-1~deb12u2',
      kind: 'deb',
      purl: '',
      ecosystem: 'Debian:12',
      matchedName: 'openssl',
      fixedVersion: '3.0.13-1~deb12u1',
      layer: 0,
      layerDigest: null,
      url: '',
    });
    const tally = (high: number, total: number) => ({ critical: 0, high, medium: 0, low: 0, none: 0, unknown: total - high, total });
    const vulns: VulnCompareAnswer = {
      source: { kind: 'offline', url: null, path: '/db', importedAt: '2025-06-01T10:00:00Z' },
      baseCounts: tally(1, 3),
      targetCounts: tally(0, 1),
      fixed: [finding('DSA-5532-1', 'high', 'libssl3'), finding('DEBIAN-CVE-2024-0727', 'unknown', 'libssl3')],
      introduced: [finding('GHSA-<b>x</b>', 'unknown', 'left-pad')],
      unchanged: 0,
      missingExports: ['npm'],
      warnings: [],
    };
    const asked: unknown[] = [];
    const cancelled: unknown[] = [];
    let answerScan: (a: VulnCompareAnswer) => void = () => {};
    mockCommands({
      list_images: () => [OLD, NEW],
      compare_images: () => answer(),
      compare_vulnerabilities: (args) => {
        asked.push(args);
        return new Promise<VulnCompareAnswer>((resolve) => (answerScan = resolve));
      },
      cancel_vulnerabilities: (args) => cancelled.push(args),
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    // Nothing is scanned until asked.
    expect(asked).toEqual([]);
    (byTestId('compare-vulns-run') as HTMLButtonElement).click();
    await settle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ base: OLD.digest, target: NEW.digest, mode: 'auto' });
    expect(byTestId('compare-vulns-loading')).not.toBeNull();
    answerScan(vulns);
    await settle();
    expect(byTestId('compare-vulns-line')?.textContent).toContain('3 → 1 findings');
    expect(byTestId('compare-vulns-line')?.textContent).toContain('2 fixed');
    expect(byTestId('compare-vulns-source')?.textContent).toContain('no advisories for npm');
    expect(allByTestId('compare-vuln-change').map((e) => e.textContent)).toEqual(['New', 'Fixed', 'Fixed']);
    expect(allByTestId('compare-vuln-id').map((e) => e.textContent)).toEqual(['GHSA-<b>x</b>', 'DSA-5532-1', 'DEBIAN-CVE-2024-0727']);
    (allByTestId('compare-vulns-chip').find((c) => c.getAttribute('data-kind') === 'fixed') as HTMLButtonElement).click();
    flushSync();
    expect(allByTestId('compare-vuln-package').map((e) => e.textContent)).toEqual(['libssl3', 'libssl3']);
    expect(dom.target.querySelector('script, b')).toBeNull();

    // A second run, left running: swapping the pair cancels it, and so does leaving.
    (byTestId('compare-swap') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('compare-vulns-run')).not.toBeNull();
    (byTestId('compare-vulns-run') as HTMLButtonElement).click();
    await settle();
    const running = (asked[1] as { scanId: string }).scanId;
    expect(asked[1]).toMatchObject({ base: NEW.digest, target: OLD.digest });
    (byTestId('compare-vulns-cancel') as HTMLButtonElement).click();
    await settle();
    expect(cancelled).toEqual([{ scanId: running }]);
    expect(byTestId('compare-vulns-run')).not.toBeNull();
    (byTestId('compare-vulns-run') as HTMLButtonElement).click();
    await settle();
    const third = (asked[2] as { scanId: string }).scanId;
    dom.unmount();
    expect(cancelled).toEqual([{ scanId: running }, { scanId: third }]);
  });
});

describe('CompareTab file diff', () => {
  const dom = componentFixture();

  it('opens a file’s two versions from the file list, the diff as text, and closes back to the list', async () => {
    const asked: unknown[] = [];
    mockCommands({
      list_images: () => [NEW, OLD],
      compare_images: () => answer(),
      compare_file: (args) => {
        asked.push(args);
        return {
          path: '/var/lib/dpkg/status',
          base: { path: '/var/lib/dpkg/status', size: 1000, sha256: `sha256:${'a'.repeat(64)}`, layer: 0 },
          target: { path: '/var/lib/dpkg/status', size: 1200, sha256: `sha256:${'b'.repeat(64)}`, layer: 0 },
          body: {
            kind: 'text',
            lines: [
              { kind: 'header', text: '--- a/var/lib/dpkg/status' },
              { kind: 'header', text: '+++ b/var/lib/dpkg/status' },
              { kind: 'hunk', text: '@@ -1,2 +1,2 @@' },
              { kind: 'removed', text: '-Version: 1.0 <img src=x onerror=alert(1)>' },
              { kind: 'added', text: '+Version: 1.1' },
              { kind: 'context', text: ' Status: install ok installed' },
            ],
            linesAdded: 1,
            linesRemoved: 1,
            truncated: false,
          },
        };
      },
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    const opener = dom.allByTestId('compare-file-path')[2] as HTMLElement;
    expect(opener.tagName).toBe('BUTTON');
    opener.click();
    await settle();
    expect(asked).toEqual([{ base: OLD.digest, target: NEW.digest, path: '/var/lib/dpkg/status' }]);
    const text = dom.byTestId('file-diff-text')!;
    expect([...text.querySelectorAll('[data-kind]')].map((l) => (l as HTMLElement).dataset.kind)).toEqual([
      'header',
      'header',
      'hunk',
      'removed',
      'added',
      'context',
    ]);
    expect(text.textContent).toContain('-Version: 1.0 <img src=x onerror=alert(1)>\n+Version: 1.1\n');
    expect(dom.target.querySelector('img')).toBeNull();
    expect(dom.byTestId('file-diff-summary')?.textContent).toContain('+1');
    expect(dom.byTestId('file-diff-sides')?.textContent).toContain('a: docker.io/library/debian:12.5');

    (dom.byTestId('file-diff-close') as HTMLElement).click();
    flushSync();
    expect(dom.byTestId('file-diff')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('says when only the metadata changed, and shows why a file cannot be compared', async () => {
    let calls = 0;
    mockCommands({
      list_images: () => [NEW, OLD],
      compare_images: () => answer(),
      compare_file: () => {
        calls += 1;
        if (calls === 1) throw { code: 'notFound', message: 'neither image has `/usr/bin/old`' };
        return { path: '/usr/bin/old', base: null, target: null, body: { kind: 'identical' } };
      },
    });
    dom.mount(CompareTab, { image: NEW });
    await settle();
    (dom.allByTestId('compare-file-path')[1] as HTMLElement).click();
    await settle();
    expect(dom.byTestId('file-diff-error')?.textContent).toContain('neither image has `/usr/bin/old`');
    (dom.byTestId('file-diff-error')!.querySelector('button') as HTMLElement).click();
    await settle();
    expect(dom.byTestId('file-diff-summary')?.textContent).toContain('The bytes are identical');
  });
});
