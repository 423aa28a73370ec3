import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';
import { IpcError, type LayerRow, type PackageKind, type PackageRow, type PackagesAnswer } from '../../tauri/ipc';
import { osName, sortedIndexes, sourceOf, type PackagesState } from './packages';
import PackagesTab from './PackagesTab.svelte';

const HOSTILE = '<img src=x onerror=alert(1)>';

function pkg(name: string, kind: PackageKind, overrides: Partial<PackageRow> = {}): PackageRow {
  return {
    name,
    version: '1.0',
    kind,
    purl: `pkg:${kind}/${name}@1.0`,
    licenses: [],
    sourceName: null,
    sourceVersion: null,
    arch: null,
    location: kind === 'deb' ? '/var/lib/dpkg/status' : `/app/node_modules/${name}/package.json`,
    layer: 0,
    layerDigest: `sha256:${'a'.repeat(64)}`,
    ...overrides,
  };
}

function step(index: number, command: string | null): LayerRow {
  return {
    index,
    digest: command === null ? null : `sha256:${String(index).repeat(64)}`,
    command,
    createdBy: command,
    created: null,
    size: 0,
    empty: command === null,
    added: 0,
    modified: 0,
    removed: 0,
  };
}

const STEPS: LayerRow[] = [
  step(0, 'ADD rootfs.tar /'),
  step(1, 'ENV LANG=C.UTF-8'),
  step(2, 'RUN apt-get install -y curl'),
  step(3, 'COPY node_modules /app/node_modules'),
];

const PACKAGES: PackageRow[] = [
  pkg('base-files', 'deb', { version: '12.4+deb12u5', licenses: ['GPL-2.0-or-later'], arch: 'amd64' }),
  pkg('libcurl4', 'deb', {
    version: '7.88.1-10',
    layer: 2,
    licenses: ['curl'],
    sourceName: 'curl',
    sourceVersion: '7.88.1-10',
    purl: 'pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64&distro=debian-12',
  }),
  pkg('curl', 'deb', { version: '7.88.1-10', layer: 2, sourceName: 'curl', sourceVersion: '7.88.1-10' }),
  pkg('zlib1g', 'deb', { version: '1:1.2.13', licenses: ['Zlib'], sourceName: 'zlib', sourceVersion: '1:1.2.13' }),
  pkg('express', 'npm', { version: '4.19.2', layer: 3, licenses: ['MIT'] }),
  pkg('left-pad', 'npm', { version: '1.3.0', layer: 3, licenses: ['WTFPL'] }),
];

function answer(packages: PackageRow[], overrides: Partial<PackagesAnswer> = {}): PackagesAnswer {
  const counts: PackagesAnswer['counts'] = [];
  for (const p of packages) {
    const c = counts.find((x) => x.kind === p.kind);
    if (c) c.count += 1;
    else counts.push({ kind: p.kind, count: 1 });
  }
  return {
    os: {
      id: 'debian',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      versionId: '12',
      versionCodename: 'bookworm',
      location: '/etc/os-release',
    },
    packages,
    problems: [],
    counts,
    ...overrides,
  };
}

const dom = componentFixture();
const { byTestId, allByTestId } = dom;

afterEach(() => {
  vi.restoreAllMocks();
});

function show(
  packages: PackagesState,
  props: { steps?: LayerRow[]; chosenSteps?: ReadonlySet<number>; onClearSteps?: () => void; onRetry?: () => void } = {},
): void {
  dom.mount(PackagesTab, { packages, steps: STEPS, ...props });
  flushSync();
}

const ready = (a: PackagesAnswer): PackagesState => ({ kind: 'ready', answer: a });
const names = () => allByTestId('package-name').map((e) => e.textContent);
const chip = (kind: string) => dom.target.querySelector(`[data-testid="packages-chip"][data-kind="${kind}"]`) as HTMLButtonElement;

function typeFilter(text: string): void {
  const input = byTestId('packages-filter') as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

function key(element: Element, k: string): void {
  element.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  flushSync();
}

describe('PackagesTab', () => {
  it('lists each package with its version, type, step, licences and differing source', () => {
    show(ready(answer(PACKAGES)));
    // Default order: by type (OS packages first), then name.
    expect(names()).toEqual(['base-files', 'curl', 'libcurl4', 'zlib1g', 'express', 'left-pad']);
    const rows = allByTestId('package-row');
    const cell = (row: Element, id: string) => row.querySelector(`[data-testid="${id}"]`)?.textContent;
    const libcurl = rows[2]!;
    expect(cell(libcurl, 'package-version')).toBe('7.88.1-10');
    expect(cell(libcurl, 'package-type')).toBe('deb');
    expect(cell(libcurl, 'package-step')).toBe('3');
    expect(libcurl.querySelector('[data-testid="package-step"]')?.parentElement?.title).toBe(
      'Step 3: RUN apt-get install -y curl',
    );
    expect(cell(libcurl, 'package-licenses')).toBe('curl');
    expect(cell(libcurl, 'package-source')).toBe('curl');
    // The source is shown only when it differs from the package itself.
    expect(cell(rows[1]!, 'package-source')).toBe('');
    expect(cell(rows[3]!, 'package-source')).toBe('zlib');
    expect(cell(rows[4]!, 'package-type')).toBe('npm');
    expect(cell(rows[4]!, 'package-step')).toBe('4');
    expect(cell(rows[1]!, 'package-licenses')).toBe('—');
    expect(byTestId('packages-count')?.textContent?.trim()).toBe('6 packages');
  });

  it('filters by name, purl and licence, and says when nothing matches', () => {
    show(ready(answer(PACKAGES)));
    typeFilter('CURL');
    expect(names()).toEqual(['curl', 'libcurl4']);
    expect(byTestId('packages-count')?.textContent).toContain('Showing 2 of 6 packages');
    typeFilter('distro=debian-12');
    expect(names()).toEqual(['libcurl4']);
    typeFilter('wtfpl');
    expect(names()).toEqual(['left-pad']);
    typeFilter('no-such-thing');
    expect(names()).toEqual([]);
    expect(byTestId('packages-no-match')?.textContent).toContain('No packages match “no-such-thing”');
    (byTestId('packages-no-match')?.querySelector('button') as HTMLButtonElement).click();
    flushSync();
    expect(names()).toHaveLength(6);
    expect((byTestId('packages-filter') as HTMLInputElement).value).toBe('');
  });

  it('has a chip per type with its count, which filters by type', () => {
    show(ready(answer(PACKAGES)));
    const chips = allByTestId('packages-chip').map((c) => c.textContent?.replace(/\s+/g, ' ').trim());
    expect(chips).toEqual(['All 6', 'deb 4', 'npm 2']);
    expect(chip('all').getAttribute('aria-pressed')).toBe('true');
    chip('npm').click();
    flushSync();
    expect(names()).toEqual(['express', 'left-pad']);
    expect(chip('npm').getAttribute('aria-pressed')).toBe('true');
    expect(chip('all').getAttribute('aria-pressed')).toBe('false');
    chip('deb').click();
    flushSync();
    expect(names()).toHaveLength(6);
    chip('npm').click();
    flushSync();
    expect(names()).toEqual(['base-files', 'curl', 'libcurl4', 'zlib1g']);
    // The counts follow the text filter.
    typeFilter('curl');
    expect(chip('deb').textContent).toContain('2');
    expect(chip('npm').textContent).toContain('0');
    chip('all').click();
    flushSync();
    expect(names()).toEqual(['curl', 'libcurl4']);
  });

  it('sorts by name, type and step, both ways', () => {
    show(ready(answer(PACKAGES)));
    const header = (k: string) => byTestId(`packages-sort-${k}`) as HTMLButtonElement;
    header('name').click();
    flushSync();
    expect(names()).toEqual(['base-files', 'curl', 'express', 'left-pad', 'libcurl4', 'zlib1g']);
    expect(header('name').parentElement?.getAttribute('aria-sort')).toBe('ascending');
    expect(header('type').parentElement?.getAttribute('aria-sort')).toBe('none');
    header('name').click();
    flushSync();
    expect(names()).toEqual(['zlib1g', 'libcurl4', 'left-pad', 'express', 'curl', 'base-files']);
    expect(header('name').parentElement?.getAttribute('aria-sort')).toBe('descending');
    header('step').click();
    flushSync();
    expect(allByTestId('package-step').map((e) => e.textContent)).toEqual(['1', '1', '3', '3', '4', '4']);
    expect(names()).toEqual(['base-files', 'zlib1g', 'curl', 'libcurl4', 'express', 'left-pad']);
    header('step').click();
    flushSync();
    expect(allByTestId('package-step').map((e) => e.textContent)).toEqual(['4', '4', '3', '3', '1', '1']);
    header('type').click();
    flushSync();
    expect(names()).toEqual(['base-files', 'curl', 'libcurl4', 'zlib1g', 'express', 'left-pad']);
  });

  it('says plainly when no packages were found, and why that can be', () => {
    show(ready(answer([], { os: null })));
    const empty = byTestId('packages-empty')?.textContent ?? '';
    expect(empty).toContain('No packages found');
    expect(empty).toContain('scratch');
    expect(empty).toContain('distroless');
    expect(byTestId('packages-table')).toBeNull();
    expect(byTestId('packages-problems')).toBeNull();
  });

  it('shows the files it could not read as a notice', () => {
    const problems = [
      '/var/lib/dpkg/status: dpkg: the file is not valid UTF-8',
      '/app/node_modules/broken/package.json: npm: expected value at line 1 column 1',
    ];
    show(ready(answer([], { problems })));
    const notice = byTestId('packages-problems');
    expect(notice?.getAttribute('role')).toBe('note');
    expect(notice?.textContent).toContain('2 files looked like package metadata but could not be read');
    expect(allByTestId('packages-problem').map((e) => e.textContent)).toEqual(problems);
    // With the problems, the empty state still shows.
    expect(byTestId('packages-empty')).not.toBeNull();
  });

  it('renders hostile names, versions, licences and problems as text', () => {
    const evil = pkg(HOSTILE, 'npm', {
      version: '<b>1</b>',
      licenses: [`<script>alert(1)</script>`],
      purl: `pkg:npm/${HOSTILE}@1`,
      sourceName: '<i>src</i>',
      location: `/app/${HOSTILE}/package.json`,
    });
    show(ready(answer([evil], { problems: [`/x/${HOSTILE}: npm: bad`] })));
    expect(names()).toEqual([HOSTILE]);
    expect(byTestId('package-version')?.textContent).toBe('<b>1</b>');
    expect(byTestId('package-licenses')?.textContent).toBe('<script>alert(1)</script>');
    expect(byTestId('package-source')?.textContent).toBe('<i>src</i>');
    expect(byTestId('packages-problem')?.textContent).toBe(`/x/${HOSTILE}: npm: bad`);
    (byTestId('package-row') as HTMLElement).click();
    flushSync();
    expect(byTestId('package-details-name')?.textContent).toBe(HOSTILE);
    expect(byTestId('package-purl')?.textContent).toBe(`pkg:npm/${HOSTILE}@1`);
    expect(dom.target.querySelector('img, script, b, i')).toBeNull();
  });

  it('shows the selected package’s details and copies its purl', async () => {
    const writeText = vi.fn((_: string) => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    show(ready(answer(PACKAGES)));
    expect(byTestId('package-details')).toBeNull();
    const libcurl = allByTestId('package-row')[2] as HTMLElement;
    libcurl.click();
    flushSync();
    expect(libcurl.getAttribute('aria-selected')).toBe('true');
    expect(byTestId('package-details-name')?.textContent).toBe('libcurl4');
    const purl = 'pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64&distro=debian-12';
    expect(byTestId('package-purl')?.textContent).toBe(purl);
    expect(byTestId('package-location')?.textContent).toBe('/var/lib/dpkg/status');
    expect(byTestId('package-layer-digest')?.textContent).toBe(`sha256:${'a'.repeat(64)}`);
    expect(byTestId('package-licenses-detail')?.textContent).toContain('curl');
    expect(byTestId('package-step-detail')?.textContent).toContain('Step 3: RUN apt-get install -y curl');
    const copy = byTestId('package-copy-purl') as HTMLButtonElement;
    copy.click();
    await settle();
    expect(writeText).toHaveBeenCalledWith(purl);
    expect(copy.textContent).toBe('Copied');
    // Escape on the list closes the details.
    key(byTestId('packages-table')!, 'Escape');
    expect(byTestId('package-details')).toBeNull();
    Reflect.deleteProperty(navigator, 'clipboard');
  });

  it('moves the selection with the keyboard', () => {
    show(ready(answer(PACKAGES)));
    const grid = byTestId('packages-table') as HTMLTableElement;
    expect(grid.tabIndex).toBe(0);
    grid.focus();
    key(grid, 'ArrowDown');
    expect(byTestId('package-details-name')?.textContent).toBe('base-files');
    expect(grid.getAttribute('aria-activedescendant')).toBe(
      dom.target.querySelector('[data-testid="package-row"][aria-selected="true"]')?.id,
    );
    key(grid, 'ArrowDown');
    expect(byTestId('package-details-name')?.textContent).toBe('curl');
    key(grid, 'End');
    expect(byTestId('package-details-name')?.textContent).toBe('left-pad');
    key(grid, 'ArrowUp');
    expect(byTestId('package-details-name')?.textContent).toBe('express');
    key(grid, 'Home');
    expect(byTestId('package-details-name')?.textContent).toBe('base-files');
  });

  it('shows loading, then an error with Retry', () => {
    show({ kind: 'loading' });
    expect(byTestId('packages-loading')?.getAttribute('role')).toBe('status');
    dom.unmount();
    const onRetry = vi.fn();
    show({ kind: 'error', error: new IpcError('internal', 'layer sha256:aa is not a valid tar archive') }, { onRetry });
    expect(byTestId('packages-error')?.textContent).toContain('not a valid tar archive');
    (byTestId('packages-error')?.querySelector('button') as HTMLButtonElement).click();
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it('stays quick with 5,000 packages: only the rows in view are drawn', () => {
    const kinds: PackageKind[] = ['deb', 'npm', 'python', 'go', 'maven'];
    const many = Array.from({ length: 5000 }, (_, i) =>
      pkg(`package-${String(i).padStart(4, '0')}`, kinds[i % kinds.length]!, {
        layer: i % 4,
        licenses: i % 3 === 0 ? ['MIT'] : ['Apache-2.0'],
      }),
    );
    const start = performance.now();
    show(ready(answer(many)));
    const mounted = performance.now() - start;
    const drawn = allByTestId('package-row').length;
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(80);
    expect(byTestId('packages-count')?.textContent?.trim()).toBe('5,000 packages');
    expect(byTestId('packages-table')?.getAttribute('aria-rowcount')).toBe('5001');

    let t = performance.now();
    typeFilter('package-49');
    const filterMs = performance.now() - t;
    expect(byTestId('packages-count')?.textContent).toContain('Showing 100 of 5,000 packages');
    expect(names()[0]).toBe('package-4900');
    typeFilter('');

    t = performance.now();
    (byTestId('packages-sort-name') as HTMLButtonElement).click();
    flushSync();
    const sortMs = performance.now() - t;
    expect(names()[0]).toBe('package-0000');

    // Scrolling to the end draws the last rows (and still only a window of them).
    const scroller = byTestId('packages-scroller') as HTMLDivElement;
    Object.defineProperty(scroller, 'clientHeight', { value: 400, configurable: true });
    Object.defineProperty(scroller, 'scrollTop', { value: 5000 * 29 - 400, writable: true, configurable: true });
    t = performance.now();
    scroller.dispatchEvent(new Event('scroll'));
    flushSync();
    const scrollMs = performance.now() - t;
    expect(names()).toContain('package-4999');
    expect(allByTestId('package-row').length).toBeLessThan(80);

    console.log(
      `5,000 packages: first render ${mounted.toFixed(1)} ms (${drawn} rows in the DOM), ` +
        `filter ${filterMs.toFixed(1)} ms, sort ${sortMs.toFixed(1)} ms, scroll to the end ${scrollMs.toFixed(1)} ms`,
    );
    // Generous bounds for a shared CI machine; typical figures are far lower (see the log).
    expect(mounted).toBeLessThan(1500);
    expect(filterMs).toBeLessThan(500);
    expect(sortMs).toBeLessThan(500);
    expect(scrollMs).toBeLessThan(500);
  });
});

describe('PackagesTab with steps chosen in the Layers tab', () => {
  it('shows only the packages the chosen steps introduced, and says so', () => {
    let cleared = 0;
    show(ready(answer(PACKAGES)), { chosenSteps: new Set([2, 3]), onClearSteps: () => cleared++ });
    expect(names().sort()).toEqual(['curl', 'express', 'left-pad', 'libcurl4']);
    expect(byTestId('packages-steps-notice')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Showing what steps 3, 4 introduced — Clear',
    );
    expect(byTestId('packages-count')?.textContent).toContain('Showing 4 of 6 packages');
    (byTestId('packages-steps-clear') as HTMLButtonElement).click();
    expect(cleared).toBe(1);
  });

  it('combines with the type chips, and shows no notice when no step is chosen', () => {
    show(ready(answer(PACKAGES)), { chosenSteps: new Set([2, 3]) });
    chip('npm').click();
    flushSync();
    expect(names().sort()).toEqual(['express', 'left-pad']);
    dom.unmount();
    show(ready(answer(PACKAGES)));
    expect(byTestId('packages-steps-notice')).toBeNull();
    expect(names()).toHaveLength(6);
  });
});

describe('packages helpers', () => {
  it('name the OS from what os-release gives', () => {
    const os = answer([]).os!;
    expect(osName(os)).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(osName({ ...os, prettyName: null })).toBe('Debian GNU/Linux 12');
    expect(osName({ ...os, prettyName: null, name: null, versionId: null })).toBe('debian');
  });

  it('show a source package only when it says more', () => {
    expect(sourceOf(pkg('curl', 'deb', { sourceName: 'curl', sourceVersion: '1.0' }))).toBeNull();
    expect(sourceOf(pkg('curl', 'deb', { sourceName: 'curl', sourceVersion: '1.0+b1' }))).toBe('curl 1.0+b1');
    expect(sourceOf(pkg('libc6', 'deb', { sourceName: 'glibc', sourceVersion: null }))).toBe('glibc');
  });

  it('sort steps with unknown ones last, stably', () => {
    const rows = [pkg('a', 'deb', { layer: null }), pkg('b', 'deb', { layer: 2 }), pkg('c', 'deb', { layer: 0 })];
    expect(sortedIndexes(rows, 'step', 1)).toEqual([2, 1, 0]);
    expect(sortedIndexes(rows, 'name', -1)).toEqual([2, 1, 0]);
  });
});
