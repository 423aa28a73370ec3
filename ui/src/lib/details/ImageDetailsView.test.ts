import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { settle } from '../settle';

import type { FileRow, ImageDetails, ImageRow } from '../../tauri/ipc';
import { clearMocks, mockCommands } from '../../tauri/testing';
import ImageDetailsView from './ImageDetailsView.svelte';

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

function file(path: string, kind = 'file', overrides: Partial<FileRow> = {}): FileRow {
  return { path, name: path.split('/').pop() ?? '/', kind, size: 10, linkTarget: null, layer: 0, ...overrides };
}

let target: HTMLElement;
let component: ReturnType<typeof mount> | undefined;

beforeEach(() => {
  target = document.createElement('div');
  document.body.append(target);
});

afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  target.remove();
  clearMocks();
});


const byTestId = (id: string) => target.querySelector(`[data-testid="${id}"]`);
const allByTestId = (id: string) => [...target.querySelectorAll(`[data-testid="${id}"]`)];

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
    component = mount(ImageDetailsView, { target, props: { image: IMAGE } });
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
    expect(target.querySelector('script')).toBeNull();
  });

  it('has Packages and Vulnerabilities tabs that say they are coming soon', async () => {
    mockCommands({ image_details: () => DETAILS });
    component = mount(ImageDetailsView, { target, props: { image: IMAGE } });
    await settle();
    for (const id of ['tab-packages', 'tab-vulnerabilities']) {
      const tab = byTestId(id) as HTMLButtonElement;
      expect(tab.getAttribute('aria-disabled')).toBe('true');
      expect(tab.textContent).toContain('Coming soon');
      tab.click();
      flushSync();
      expect(byTestId('layers-table')).not.toBeNull();
    }
  });

  it('shows the run config as text', async () => {
    mockCommands({ image_details: () => DETAILS });
    component = mount(ImageDetailsView, { target, props: { image: IMAGE } });
    await settle();
    (byTestId('tab-config') as HTMLButtonElement).click();
    flushSync();
    const config = byTestId('config-tab')?.textContent ?? '';
    expect(config).toContain('/docker-entrypoint.sh');
    expect(config).toContain('nginx -g daemon off;');
    expect(config).toContain('80/tcp');
    expect(config).toContain('maintainer=<b>NGINX</b>');
    expect(target.querySelector('b')).toBeNull();
  });

  it('lists files lazily and searches them', async () => {
    const listed: string[] = [];
    mockCommands({
      image_details: () => DETAILS,
      image_files: (args) => {
        const { path } = args as { path: string };
        listed.push(path);
        return path === '/' ? [file('/etc', 'dir'), file('/hello')] : [file('/etc/os-release', 'file', { layer: 1 })];
      },
      search_image_files: (args) => {
        expect(args).toEqual({ digest: IMAGE.digest, needle: 'os' });
        return [file('/etc/os-release')];
      },
    });
    component = mount(ImageDetailsView, { target, props: { image: IMAGE } });
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
    component = mount(ImageDetailsView, { target, props: { image: IMAGE } });
    await settle();
    expect(byTestId('details-error')?.textContent).toContain('not a valid tar archive');
    fail = false;
    (byTestId('details-error')?.querySelector('button') as HTMLButtonElement).click();
    await settle();
    expect(allByTestId('layer-row')).toHaveLength(2);
  });
});
