import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';

import type { ImageDetails, ImageRow, PackagesAnswer, VulnsAnswer } from '../../tauri/ipc';
import { mockCommands } from '../../tauri/testing';
import ImageDetailsView from './ImageDetailsView.svelte';
import { fileRow } from './testing';

const IMAGE: ImageRow = {
  reference: 'docker.io/library/nginx:1.27',
  repository: 'docker.io/library/nginx',
  tag: '1.27',
  id: `sha256:${'ab12cd34ef56'.padEnd(64, '0')}`,
  shortId: 'ab12cd34ef56',
  digest: `sha256:${'1'.repeat(64)}`,
  created: '2025-06-12T12:00:00Z',
  size: 74_812_345,
  platform: 'linux/amd64',
  indexDigest: null,
  problem: null,
};

const DETAILS: ImageDetails = {
  fileCount: 3,
  steps: [
    {
      index: 0,
      digest: 'sha256:aa',
      command: 'ADD rootfs.tar.xz /',
      createdBy: '/bin/sh -c #(nop) ADD rootfs.tar.xz /',
      created: null,
      size: 29_000_000,
      empty: false,
      added: 1200,
      modified: 0,
      removed: 0,
    },
    {
      index: 1,
      digest: null,
      command: 'CMD ["<script>alert(1)</script>"]',
      createdBy: '/bin/sh -c #(nop)  CMD ["<script>alert(1)</script>"]',
      created: null,
      size: 0,
      empty: true,
      added: 0,
      modified: 0,
      removed: 0,
    },
  ],
  config: {
    entrypoint: ['/docker-entrypoint.sh'],
    cmd: ['nginx', '-g', 'daemon off;'],
    env: ['PATH=/usr/bin'],
    workingDir: null,
    user: null,
    exposedPorts: ['80/tcp'],
    volumes: [],
    labels: [{ key: 'maintainer', value: '<b>NGINX</b>' }],
  },
};

const PACKAGES: PackagesAnswer = {
  os: {
    id: 'debian',
    name: 'Debian GNU/Linux',
    prettyName: 'Debian GNU/Linux 12 (bookworm)',
    versionId: '12',
    versionCodename: 'bookworm',
    location: '/etc/os-release',
  },
  packages: [
    {
      name: 'bash',
      version: '5.2.15-2+b2',
      kind: 'deb',
      purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
      licenses: ['GPL-3.0-or-later'],
      sourceName: null,
      sourceVersion: null,
      arch: 'amd64',
      location: '/var/lib/dpkg/status',
      layer: 0,
      layerDigest: 'sha256:aa',
    },
    {
      name: '<img src=x onerror=alert(1)>',
      version: '1.0.0',
      kind: 'npm',
      purl: 'pkg:npm/x@1.0.0',
      licenses: ['MIT'],
      sourceName: null,
      sourceVersion: null,
      arch: null,
      location: '/app/node_modules/x/package.json',
      layer: 1,
      layerDigest: 'sha256:bb',
    },
  ],
  problems: [],
  counts: [
    { kind: 'deb', count: 1 },
    { kind: 'npm', count: 1 },
  ],
};

const VULNS: VulnsAnswer = {
  source: { kind: 'offline', url: null, path: '/store/porthole-vulndb/osv.sqlite', importedAt: '2025-06-01T10:00:00Z' },
  packagesScanned: 2,
  packagesCovered: 2,
  counts: { critical: 1, high: 0, medium: 1, low: 0, none: 0, unknown: 0, total: 2 },
  findings: [
    {
      id: 'DSA-1-1', aliases: ['CVE-2025-1'], summary: 'bash - security update', severity: 'critical', severitySource: 'cvss',
      cvssScore: 9.8, cvssVector: null, package: 'bash', version: '5.2.15-2+b2', kind: 'deb', purl: 'pkg:deb/debian/bash',
      ecosystem: 'Debian:12', matchedName: null, fixedVersion: '5.2.15-3', layer: 0, layerDigest: 'sha256:aa',
      url: 'https://osv.dev/vulnerability/DSA-1-1',
    },
    {
      id: 'GHSA-x', aliases: [], summary: null, severity: 'medium', severitySource: 'rating', cvssScore: null, cvssVector: null,
      package: 'x', version: '1.0.0', kind: 'npm', purl: 'pkg:npm/x@1.0.0', ecosystem: 'npm', matchedName: null,
      fixedVersion: null, layer: 1, layerDigest: 'sha256:bb', url: 'https://osv.dev/vulnerability/GHSA-x',
    },
  ],
  notCovered: [],
  recommendedFixes: [],
  warnings: [],
  missingExports: [],
};

const dom = componentFixture();
const { byTestId, allByTestId } = dom;


describe('ImageDetailsView', () => {
  it('shows a loading state, then one row per build step with empty steps dimmed', async () => {
    let answer: (d: ImageDetails) => void = () => {};
    let asked: unknown;
    mockCommands({
      image_details: (args) => {
        asked = args;
        return new Promise<ImageDetails>((resolve) => (answer = resolve));
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    expect(asked).toEqual({ digest: IMAGE.digest });
    expect(byTestId('details-loading')).not.toBeNull();
    expect(byTestId('details-reference')?.textContent).toBe('docker.io/library/nginx:1.27');
    answer(DETAILS);
    await settle();
    const rows = allByTestId('layer-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]?.textContent).toContain('ADD rootfs.tar.xz /');
    expect(rows[0]?.textContent).toContain('29.0 MB');
    expect(rows[0]?.textContent).toContain('+1200');
    expect(rows[1]?.classList.contains('empty')).toBe(true);
    expect(rows[1]?.querySelector('[data-testid="layer-command"]')?.textContent).toBe(
      'CMD ["<script>alert(1)</script>"]',
    );
    expect(dom.target.querySelector('script')).toBeNull();
  });

  it('checks vulnerabilities when the tab is first opened, shows the counts in the header, and cancels on close', async () => {
    const asked: unknown[] = [];
    const cancelled: unknown[] = [];
    let answer: (a: VulnsAnswer) => void = () => {};
    mockCommands({
      image_details: () => DETAILS,
      image_packages: () => PACKAGES,
      image_vulnerabilities: (args) => {
        asked.push(args);
        return new Promise<VulnsAnswer>((resolve) => (answer = resolve));
      },
      cancel_vulnerabilities: (args) => cancelled.push(args),
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    // Nothing is asked of OSV until the tab is opened.
    expect(asked).toEqual([]);
    expect(byTestId('details-vuln-counts')).toBeNull();
    const tab = byTestId('tab-vulnerabilities') as HTMLButtonElement;
    expect(tab.getAttribute('aria-disabled')).toBeNull();
    expect(tab.textContent).not.toContain('Coming soon');
    tab.click();
    await settle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ digest: IMAGE.digest, mode: 'auto' });
    expect(byTestId('vulns-loading')).not.toBeNull();
    answer(VULNS);
    await settle();
    expect(allByTestId('details-vuln-count').map((e) => e.textContent)).toEqual(['1 critical', '1 medium']);
    expect(allByTestId('vulns-group')).toHaveLength(2);
    // Back to Layers and again: no second scan.
    (byTestId('tab-layers') as HTMLButtonElement).click();
    flushSync();
    tab.click();
    await settle();
    expect(asked).toHaveLength(1);
    // A scan still running when the page closes is cancelled.
    (byTestId('vulns-rescan') as HTMLButtonElement).click();
    await settle();
    expect(asked).toHaveLength(2);
    dom.unmount();
    await settle();
    expect(cancelled).toEqual([{ scanId: (asked[1] as { scanId: string }).scanId }]);
  });

  it('exports an SBOM or the image archive to the Downloads folder and says where it went', async () => {
    const exported: unknown[] = [];
    const saved: unknown[] = [];
    mockCommands({
      image_details: () => DETAILS,
      image_packages: () => PACKAGES,
      export_sbom: (args) => {
        exported.push(args);
        return { path: '/home/me/Downloads/nginx-1.27.spdx.json', packages: 2 };
      },
      save_image: (args) => {
        saved.push(args);
        return { path: '/home/me/Downloads/nginx-1.27.tar', bytes: 48_776_852 };
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    const choose = async (kind: string) => {
      (byTestId('export-button') as HTMLButtonElement).click();
      flushSync();
      (dom.target.querySelector(`[data-testid="export-item"][data-kind="${kind}"]`) as HTMLButtonElement).click();
      await settle();
    };
    (byTestId('export-button') as HTMLButtonElement).click();
    flushSync();
    const kinds = allByTestId('export-item').map((e) => e.getAttribute('data-kind'));
    expect(kinds).toEqual(['cyclonedx', 'spdx', 'archive', 'filesystem']);
    (byTestId('export-button') as HTMLButtonElement).click();
    flushSync();

    await choose('spdx');
    expect(exported).toEqual([{ digest: IMAGE.digest, format: 'spdx', path: null }]);
    expect(byTestId('export-menu')).toBeNull();
    expect(byTestId('export-path')?.textContent).toBe('/home/me/Downloads/nginx-1.27.spdx.json');
    expect(byTestId('export-result')?.textContent).toContain('an SBOM of 2 packages');

    await choose('archive');
    expect(saved).toEqual([expect.objectContaining({ digest: IMAGE.digest, path: null })]);
    expect(byTestId('export-path')?.textContent).toBe('/home/me/Downloads/nginx-1.27.tar');
    expect(byTestId('export-result')?.textContent).toContain('Saved the image (48.8 MB) to');
  });

  it('copies the reference from the header and says so', async () => {
    const copied: string[] = [];
    const writeText = async (value: string) => void copied.push(value);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    mockCommands({ image_details: () => DETAILS, image_packages: () => PACKAGES });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    (byTestId('details-copy') as HTMLButtonElement).click();
    await settle();
    expect(copied).toEqual([IMAGE.reference]);
    expect(byTestId('details-notice')?.textContent).toBe(`Copied ${IMAGE.reference}`);
  });

  it('deletes the image with every tag of its digest after asking, then goes back to the list', async () => {
    const other: ImageRow = { ...IMAGE, reference: 'docker.io/library/nginx:stable', tag: 'stable' };
    const unrelated: ImageRow = { ...IMAGE, reference: 'docker.io/library/redis:7', digest: `sha256:${'2'.repeat(64)}` };
    const removed: unknown[] = [];
    let back = 0;
    mockCommands({
      image_details: () => DETAILS,
      image_packages: () => PACKAGES,
      list_images: () => [IMAGE, other, unrelated],
      remove_images: (args) => {
        removed.push(args);
        return { removed: [IMAGE, other], failed: [] };
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE, onBack: () => (back += 1) });
    await settle();
    (byTestId('details-delete') as HTMLButtonElement).click();
    await settle();
    const items = allByTestId('remove-item').map((e) => e.querySelector('.name')?.textContent);
    expect(items).toEqual(['nginx:1.27', 'nginx:stable']);
    expect(back).toBe(0);
    (byTestId('remove-confirm') as HTMLButtonElement).click();
    await settle();
    expect(removed).toEqual([{ digests: [IMAGE.digest] }]);
    expect(byTestId('remove-dialog')).toBeNull();
    expect(back).toBe(1);
  });

  it('stays on the page when the deletion is cancelled', async () => {
    let back = 0;
    mockCommands({ image_details: () => DETAILS, image_packages: () => PACKAGES, list_images: () => [IMAGE] });
    dom.mount(ImageDetailsView, { image: IMAGE, onBack: () => (back += 1) });
    await settle();
    (byTestId('details-delete') as HTMLButtonElement).click();
    await settle();
    (byTestId('remove-cancel') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('remove-dialog')).toBeNull();
    expect(back).toBe(0);
  });

  it('shows why an export failed', async () => {
    mockCommands({
      image_details: () => DETAILS,
      image_packages: () => PACKAGES,
      export_sbom: () => {
        throw { code: 'invalidInput', message: 'cannot write the SBOM to `/x`: its directory does not exist' };
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    (byTestId('export-button') as HTMLButtonElement).click();
    flushSync();
    (byTestId('export-item') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('export-error')?.textContent).toContain('its directory does not exist');
  });

  it('asks for the details and the packages at once, and shows the OS and package count', async () => {
    const asked: string[] = [];
    let answerPackages: (a: PackagesAnswer) => void = () => {};
    mockCommands({
      image_details: () => {
        asked.push('image_details');
        return new Promise<ImageDetails>(() => {});
      },
      image_packages: (args) => {
        asked.push('image_packages');
        expect(args).toEqual({ digest: IMAGE.digest });
        return new Promise<PackagesAnswer>((resolve) => (answerPackages = resolve));
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    // Neither waits for the other.
    expect(asked.sort()).toEqual(['image_details', 'image_packages']);
    expect(byTestId('details-os')?.textContent).toBe('…');
    answerPackages(PACKAGES);
    await settle();
    expect(byTestId('details-os')?.textContent?.trim()).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(byTestId('details-package-count')?.textContent).toBe('2');
    // The Layers tab is still loading: the two are independent.
    expect(byTestId('details-loading')).not.toBeNull();
  });

  it('says the OS is unknown when the image has no os-release', async () => {
    mockCommands({ image_details: () => DETAILS, image_packages: () => ({ ...PACKAGES, os: null }) });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    expect(byTestId('details-os')?.textContent?.trim()).toBe('Unknown');
  });

  it('opens the Packages tab with the steps’ commands, and reaches it with the arrow keys', async () => {
    mockCommands({ image_details: () => DETAILS, image_packages: () => PACKAGES });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    const config = byTestId('tab-config') as HTMLButtonElement;
    config.click();
    flushSync();
    config.focus();
    config.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    const packagesTab = byTestId('tab-packages') as HTMLButtonElement;
    expect(packagesTab.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(packagesTab);
    expect(allByTestId('package-name').map((e) => e.textContent)).toEqual(['bash', '<img src=x onerror=alert(1)>']);
    expect(dom.target.querySelector('img')).toBeNull();
    const stepCell = allByTestId('package-step')[0]?.parentElement;
    expect(stepCell?.title).toBe('Step 1: ADD rootfs.tar.xz /');
    // Then Vulnerabilities, then Compare, the last tab; Layers comes after it.
    packagesTab.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    expect(byTestId('tab-vulnerabilities')?.getAttribute('aria-selected')).toBe('true');
    packagesTab.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    expect(byTestId('tab-compare')?.getAttribute('aria-selected')).toBe('true');
    packagesTab.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    expect(byTestId('tab-layers')?.getAttribute('aria-selected')).toBe('true');
    packagesTab.focus();
    (byTestId('tab-layers') as HTMLButtonElement).dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }),
    );
    flushSync();
    expect(byTestId('tab-compare')?.getAttribute('aria-selected')).toBe('true');
  });

  it('opens and scrolls the Packages tab of an image with 5,000 packages quickly', async () => {
    const template = PACKAGES.packages[0]!;
    const many: PackagesAnswer = {
      ...PACKAGES,
      packages: Array.from({ length: 5000 }, (_, i) => ({
        ...template,
        name: `pkg-${String(i).padStart(5, '0')}`,
        version: `1.0-${i}`,
        purl: `pkg:deb/debian/pkg-${i}@1.0-${i}`,
        layer: i % 2,
      })),
      counts: [{ kind: 'deb', count: 5000 }],
    };
    mockCommands({ image_details: () => DETAILS, image_packages: () => many });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    expect(byTestId('details-package-count')?.textContent).toBe('5,000');
    let t = performance.now();
    (byTestId('tab-packages') as HTMLButtonElement).click();
    flushSync();
    const openMs = performance.now() - t;
    expect(allByTestId('package-row').length).toBeLessThan(80);
    const scroller = byTestId('packages-scroller') as HTMLDivElement;
    Object.defineProperty(scroller, 'clientHeight', { value: 400, configurable: true });
    Object.defineProperty(scroller, 'scrollTop', { value: 5000 * 29 - 400, writable: true, configurable: true });
    t = performance.now();
    scroller.dispatchEvent(new Event('scroll'));
    flushSync();
    const scrollMs = performance.now() - t;
    expect(allByTestId('package-name').map((e) => e.textContent)).toContain('pkg-04999');
    console.log(`5,000 packages through the details page: tab opened in ${openMs.toFixed(1)} ms, scrolled to the end in ${scrollMs.toFixed(1)} ms`);
    expect(openMs).toBeLessThan(1500);
    expect(scrollMs).toBeLessThan(500);
  });

  it('retries the packages on their own when they fail', async () => {
    let fail = true;
    mockCommands({
      image_details: () => DETAILS,
      image_packages: () => {
        if (fail) throw { code: 'internal', message: 'could not read the layer index' };
        return PACKAGES;
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    expect(byTestId('details-os')).toBeNull();
    (byTestId('tab-packages') as HTMLButtonElement).click();
    flushSync();
    expect(byTestId('packages-error')?.textContent).toContain('could not read the layer index');
    fail = false;
    (byTestId('packages-error')?.querySelector('button') as HTMLButtonElement).click();
    await settle();
    expect(allByTestId('package-row')).toHaveLength(2);
    expect(byTestId('details-package-count')?.textContent).toBe('2');
  });

  it('shows the run config as text', async () => {
    mockCommands({ image_details: () => DETAILS });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    (byTestId('tab-config') as HTMLButtonElement).click();
    flushSync();
    const config = byTestId('config-tab')?.textContent ?? '';
    expect(config).toContain('/docker-entrypoint.sh');
    expect(config).toContain('nginx -g daemon off;');
    expect(config).toContain('80/tcp');
    expect(config).toContain('maintainer=<b>NGINX</b>');
    expect(dom.target.querySelector('b')).toBeNull();
  });

  it('lists files lazily and searches them', async () => {
    const listed: string[] = [];
    mockCommands({
      image_details: () => DETAILS,
      image_files: (args) => {
        const { path } = args as { path: string };
        listed.push(path);
        const rows = path === '/' ? [fileRow('/etc', 'dir'), fileRow('/hello')] : [fileRow('/etc/os-release', 'file', { layer: 1 })];
        return { total: rows.length, offset: 0, rows };
      },
      search_image_files: (args) => {
        expect(args).toEqual({ digest: IMAGE.digest, needle: 'os', steps: [] });
        return [fileRow('/etc/os-release')];
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    (byTestId('tab-files') as HTMLButtonElement).click();
    await settle();
    expect(allByTestId('file-name').map((e) => e.textContent)).toEqual(['etc', 'hello']);
    expect(listed).toEqual(['/']);
    (byTestId('file-toggle') as HTMLButtonElement).click();
    await settle();
    expect(listed).toEqual(['/', '/etc']);
    expect(allByTestId('file-name').map((e) => e.textContent)).toEqual(['etc', 'os-release', 'hello']);

    const search = byTestId('files-search') as HTMLInputElement;
    search.value = 'os';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await settle();
    expect(allByTestId('file-match').map((e) => e.textContent?.includes('/etc/os-release'))).toEqual([true]);
  });

  it('shows an error with Retry when the layers cannot be read', async () => {
    let fail = true;
    mockCommands({
      image_details: () => {
        if (fail) throw { code: 'internal', message: 'layer sha256:aa is not a valid tar archive' };
        return DETAILS;
      },
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    expect(byTestId('details-error')?.textContent).toContain('not a valid tar archive');
    fail = false;
    (byTestId('details-error')?.querySelector('button') as HTMLButtonElement).click();
    await settle();
    expect(allByTestId('layer-row')).toHaveLength(2);
  });

  describe('choosing build steps', () => {
    // Three steps with files (0, 2, 3) and an empty one (1).
    const STEPS: ImageDetails = {
      ...DETAILS,
      steps: [
        DETAILS.steps[0]!,
        DETAILS.steps[1]!,
        { ...DETAILS.steps[0]!, index: 2, digest: 'sha256:cc', command: 'RUN apt-get install -y x' },
        { ...DETAILS.steps[0]!, index: 3, digest: 'sha256:dd', command: 'COPY app /app' },
      ],
    };
    const rows = () => allByTestId('layer-row') as HTMLElement[];
    const chosen = () => rows().filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => rows().indexOf(r));
    const click = (row: number, init: MouseEventInit = {}) => {
      rows()[row]!.dispatchEvent(new MouseEvent('click', { bubbles: true, ...init }));
      flushSync();
    };
    const press = (row: number, key: string, init: KeyboardEventInit = {}) => {
      rows()[row]!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
      flushSync();
    };

    async function open(): Promise<void> {
      mockCommands({ image_details: () => STEPS, image_packages: () => PACKAGES, image_vulnerabilities: () => VULNS });
      dom.mount(ImageDetailsView, { image: IMAGE });
      await settle();
    }

    it('chooses one step with a click, several with Ctrl or Cmd, and clears them', async () => {
      await open();
      expect(byTestId('layers-table')?.getAttribute('aria-multiselectable')).toBe('true');
      // Empty steps cannot be chosen.
      expect(rows()[1]!.hasAttribute('aria-selected')).toBe(false);
      expect(rows()[1]!.hasAttribute('tabindex')).toBe(false);
      click(1);
      expect(chosen()).toEqual([]);
      expect(byTestId('layers-clear')).toBeNull();

      click(0);
      expect(chosen()).toEqual([0]);
      click(2);
      expect(chosen()).toEqual([2]);
      click(3, { ctrlKey: true });
      expect(chosen()).toEqual([2, 3]);
      click(0, { metaKey: true });
      expect(chosen()).toEqual([0, 2, 3]);
      click(2, { ctrlKey: true });
      expect(chosen()).toEqual([0, 3]);
      expect(byTestId('layers-selection')?.textContent).toContain('steps 1, 4');

      (byTestId('layers-clear') as HTMLButtonElement).click();
      flushSync();
      expect(chosen()).toEqual([]);
      expect(byTestId('layers-clear')).toBeNull();
    });

    it('chooses steps with Enter and Space', async () => {
      await open();
      expect(rows()[0]!.getAttribute('tabindex')).toBe('0');
      press(0, 'Enter');
      expect(chosen()).toEqual([0]);
      press(2, ' ', { ctrlKey: true });
      expect(chosen()).toEqual([0, 2]);
      press(2, ' ');
      expect(chosen()).toEqual([2]);
      press(2, 'Enter');
      expect(chosen()).toEqual([]);
      press(3, 'a');
      expect(chosen()).toEqual([]);
    });

    it('narrows the Packages and Vulnerabilities tabs to the chosen steps, with a notice that clears them', async () => {
      await open();
      click(0);
      (byTestId('tab-packages') as HTMLButtonElement).click();
      await settle();
      expect(allByTestId('package-name').map((e) => e.textContent)).toEqual(['bash']);
      expect(byTestId('packages-steps-notice')?.textContent).toContain('Showing what step 1 introduced');

      (byTestId('tab-vulnerabilities') as HTMLButtonElement).click();
      await settle();
      expect(allByTestId('vulns-group-package').map((e) => e.textContent)).toEqual(['bash']);
      expect(byTestId('vulns-steps-notice')?.textContent).toContain('Showing what step 1 introduced');
      // The header still counts the whole image.
      expect(allByTestId('details-vuln-count').map((e) => e.textContent)).toEqual(['1 critical', '1 medium']);

      (byTestId('vulns-steps-clear') as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('vulns-steps-notice')).toBeNull();
      expect(allByTestId('vulns-group')).toHaveLength(2);
      (byTestId('tab-layers') as HTMLButtonElement).click();
      flushSync();
      expect(chosen()).toEqual([]);
    });
  });
});
