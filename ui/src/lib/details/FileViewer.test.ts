import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import type { FileView } from '../../tauri/ipc';
import { mockCommands } from '../../tauri/testing';
import { componentFixture } from '../fixture';
import { settle } from '../settle';
import { viewerNotice, viewTarget } from './file-view';
import FileViewer from './FileViewer.svelte';
import FileTree from './FileTree.svelte';
import { fileRow } from './testing';

const DIGEST = `sha256:${'2'.repeat(64)}`;

function fileView(overrides: Partial<FileView> = {}): FileView {
  return {
    path: '/etc/os-release',
    resolvedPath: '/usr/lib/os-release',
    size: 12,
    shown: 12,
    truncated: false,
    sha256: `sha256:${'ab'.repeat(32)}`,
    mode: '-rw-r--r--',
    uid: 0,
    gid: 0,
    layer: 0,
    package: 'base-files',
    body: { kind: 'text', text: 'ID=debian\n' },
    ...overrides,
  };
}

type ReadArgs = { digest: string; path: string; step: number | null };

const dom = componentFixture();
const { byTestId } = dom;
const text = (id: string) => byTestId(id)?.textContent ?? null;

describe('file-view', () => {
  it('reads the final file, a changed file as its step left it, a removed one as the step before', () => {
    expect(viewTarget(fileRow('/a', 'file', { layer: 3 }))).toEqual({ path: '/a', step: null });
    expect(viewTarget(fileRow('/a', 'file', { layer: 3, change: 'added' }))).toEqual({ path: '/a', step: 3 });
    expect(viewTarget(fileRow('/a', 'file', { layer: 3, change: 'modified' }))).toEqual({ path: '/a', step: 3 });
    expect(viewTarget(fileRow('/a', 'file', { layer: 3, change: 'removed' }))).toEqual({ path: '/a', step: 2 });
    expect(viewTarget(fileRow('/a', 'file', { layer: 0, change: 'removed' }))).toEqual({ path: '/a', step: 0 });
  });

  it('says when the contents are not the whole file, or not text', () => {
    expect(viewerNotice(fileView())).toBeNull();
    expect(viewerNotice(fileView({ size: 1_000_000, shown: 262_144, truncated: true }))).toBe(
      'Showing the first 262 kB of 1.00 MB. Save the file to read all of it.',
    );
    expect(viewerNotice(fileView({ size: 50_000, shown: 50_000, body: { kind: 'binary', hex: '' } }))).toBe(
      'Binary file: its first 4.10 kB of 50.0 kB as a hex dump. Save it to look at all of it.',
    );
    expect(viewerNotice(fileView({ size: 300, shown: 300, body: { kind: 'binary', hex: '' } }))).toBe(
      'Binary file, shown as a hex dump.',
    );
    expect(viewerNotice(fileView({ size: 0, shown: 0, body: { kind: 'empty' } }))).toBe('The file is empty.');
  });
});

describe('FileViewer', () => {
  it('shows the file as text, never as HTML, with where a symlink led and who wrote it', async () => {
    const calls: ReadArgs[] = [];
    const payload = '<script>alert(1)</script><img src=x onerror=alert(2)>\n';
    mockCommands({
      read_image_file: (raw) => {
        calls.push(raw as ReadArgs);
        return fileView({ body: { kind: 'text', text: payload } });
      },
    });
    let closed = 0;
    dom.mount(FileViewer, { digest: DIGEST, target: { path: '/etc/os-release', step: null }, onClose: () => closed++ });
    await settle();
    expect(document.activeElement).toBe(byTestId('file-viewer-close'));
    expect(calls).toEqual([{ digest: DIGEST, path: '/etc/os-release', step: null }]);
    expect(text('file-viewer-path')).toBe('/etc/os-release');
    expect(text('file-viewer-resolved')).toBe('/usr/lib/os-release');
    expect(text('file-viewer-text')).toBe(payload);
    expect(dom.target.querySelector('img, script')).toBeNull();
    const meta = text('file-viewer-meta')!;
    expect(meta).toContain('step 1');
    expect(meta).toContain('base-files');
    expect(meta).toContain('-rw-r--r-- 0:0');
    expect(byTestId('file-viewer-notice')).toBeNull();
    expect(byTestId('file-viewer-step')).toBeNull();

    byTestId('file-viewer')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(closed).toBe(1);
  });

  it('shows a binary file as a hex dump, and a file as of a step', async () => {
    mockCommands({
      read_image_file: () =>
        fileView({ path: '/bin/x', resolvedPath: '/bin/x', size: 20, shown: 20, body: { kind: 'binary', hex: '00000000: 7f45 4c46  .ELF\n' } }),
    });
    dom.mount(FileViewer, { digest: DIGEST, target: { path: '/bin/x', step: 2 }, onClose: () => {} });
    await settle();
    expect(text('file-viewer-hex')).toBe('00000000: 7f45 4c46  .ELF\n');
    expect(text('file-viewer-notice')).toBe('Binary file, shown as a hex dump.');
    expect(text('file-viewer-step')).toBe('As step 3 left it');
    expect(byTestId('file-viewer-resolved')).toBeNull();
  });

  it('says why a file cannot be read, and Retry asks again', async () => {
    let calls = 0;
    mockCommands({
      read_image_file: () => {
        calls += 1;
        if (calls === 1) throw { code: 'invalidInput', message: '`/etc` is a directory, not a file' };
        return fileView();
      },
    });
    dom.mount(FileViewer, { digest: DIGEST, target: { path: '/etc', step: null }, onClose: () => {} });
    await settle();
    expect(text('file-viewer-error')).toContain('`/etc` is a directory, not a file');
    (byTestId('file-viewer-error')!.querySelector('button') as HTMLElement).click();
    await settle();
    expect(calls).toBe(2);
    expect(text('file-viewer-text')).toBe('ID=debian\n');
  });

  it('saves the whole file to Downloads and says where, or why not', async () => {
    const saves: unknown[] = [];
    let fail = false;
    mockCommands({
      read_image_file: () => fileView({ size: 1_000_000, shown: 262_144, truncated: true }),
      save_image_file: (raw) => {
        saves.push(raw);
        if (fail) throw { code: 'internal', message: 'could not write /home/me/Downloads/x: disk full' };
        return { path: '/home/me/Downloads/debian-12.os-release', size: 1_000_000 };
      },
    });
    dom.mount(FileViewer, { digest: DIGEST, target: { path: '/etc/os-release', step: 1 }, onClose: () => {} });
    await settle();
    expect(text('file-viewer-notice')).toContain('Showing the first 262 kB of 1.00 MB');
    (byTestId('file-viewer-save') as HTMLElement).click();
    await settle();
    expect(saves).toEqual([{ digest: DIGEST, path: '/etc/os-release', step: 1, target: null }]);
    expect(text('file-viewer-saved')).toBe('Saved 1.00 MB to /home/me/Downloads/debian-12.os-release');
    fail = true;
    (byTestId('file-viewer-save') as HTMLElement).click();
    await settle();
    expect(text('file-viewer-save-error')).toContain('disk full');
  });
});

describe('FileTree opens files in the viewer', () => {
  it('on a click or Enter, as of the step a change row names, and gives the focus back on close', async () => {
    const reads: ReadArgs[] = [];
    mockCommands({
      image_files: (raw) => {
        const { steps } = raw as { steps: number[] };
        const rows = steps.length > 0
          ? [fileRow('/motd', 'file', { layer: 2, change: 'modified' }), fileRow('/gone', 'file', { layer: 2, change: 'removed' })]
          : [fileRow('/etc', 'dir'), fileRow('/motd', 'file'), fileRow('/sh', 'symlink', { linkTarget: 'bash' })];
        return { total: rows.length, offset: 0, rows };
      },
      read_image_file: (raw) => {
        reads.push(raw as ReadArgs);
        return fileView({ path: (raw as ReadArgs).path });
      },
    });
    dom.mount(FileTree, { digest: DIGEST, steps: [], debounceMs: 0 });
    await settle();
    const rowOf = (path: string) => dom.target.querySelector<HTMLElement>(`[data-testid="file-row"][data-path="${path}"]`)!;
    rowOf('/motd').click();
    await settle();
    expect(byTestId('file-viewer')).not.toBeNull();
    expect(reads).toEqual([{ digest: DIGEST, path: '/motd', step: null }]);
    (byTestId('file-viewer-close') as HTMLElement).click();
    flushSync();
    expect(byTestId('file-viewer')).toBeNull();
    expect(document.activeElement).toBe(byTestId('files-tree'));

    // A directory opens in the tree, not in the viewer; Enter on the symlink views it.
    rowOf('/etc').click();
    await settle();
    expect(byTestId('file-viewer')).toBeNull();
    const tree = byTestId('files-tree') as HTMLElement;
    tree.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    tree.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(reads.at(-1)).toEqual({ digest: DIGEST, path: '/sh', step: null });
    dom.unmount();

    dom.mount(FileTree, { digest: DIGEST, steps: [], chosenSteps: new Set([2]), debounceMs: 0 });
    await settle();
    rowOf('/gone').click();
    await settle();
    expect(reads.at(-1)).toEqual({ digest: DIGEST, path: '/gone', step: 1 });
  });
});
