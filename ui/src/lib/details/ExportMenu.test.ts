// Export → Image archive on the details page: the bytes written so far with a bar while the
// archive is saved, Cancel (by the save's id, and "cancelled" said plainly), and errors.
// (Exporting an SBOM, and where a finished archive went, are in ImageDetailsView.test.ts.)
import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import type { ImageDetails, ImageRow, PackagesAnswer } from '../../tauri/ipc';
import { mockCommands, sendToChannel } from '../../tauri/testing';
import { componentFixture } from '../fixture';
import { settle } from '../settle';
import ImageDetailsView from './ImageDetailsView.svelte';

const IMAGE: ImageRow = {
  reference: 'docker.io/library/nginx:1.27',
  repository: 'docker.io/library/nginx',
  tag: '1.27',
  id: `sha256:${'ab12cd34ef56'.padEnd(64, '0')}`,
  shortId: 'ab12cd34ef56',
  digest: `sha256:${'1'.repeat(64)}`,
  created: '2025-06-12T12:00:00Z',
  size: 48_000_000,
  platform: 'linux/amd64',
  indexDigest: null,
  problem: null,
};

const DETAILS: ImageDetails = {
  fileCount: 0,
  steps: [],
  config: {
    entrypoint: null,
    cmd: null,
    env: [],
    workingDir: null,
    user: null,
    exposedPorts: [],
    volumes: [],
    labels: [],
  },
};

const PACKAGES: PackagesAnswer = { os: null, packages: [], problems: [], counts: [] };

/** What `save_image` is called with. */
interface SaveArgs {
  archiveId: string;
  digest: string;
  path: string | null;
  onProgress: unknown;
}

const dom = componentFixture();
const { byTestId } = dom;

/** The details page with a `save_image` that answers only when the test says, and the
 *  other `commands` given; returns the save's calls and how to end the latest one. */
async function mountWithPendingSave(
  commands: Record<string, (args: unknown) => unknown> = {},
  kind = 'archive',
  command = 'save_image',
) {
  const calls: SaveArgs[] = [];
  let resolve: (answer: unknown) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  mockCommands({
    image_details: () => DETAILS,
    image_packages: () => PACKAGES,
    [command]: (args: unknown) => {
      calls.push(args as SaveArgs);
      return new Promise((ok, fail) => {
        resolve = ok;
        reject = fail;
      });
    },
    ...commands,
  });
  dom.mount(ImageDetailsView, { image: IMAGE });
  await settle();
  (byTestId('export-button') as HTMLButtonElement).click();
  flushSync();
  (dom.target.querySelector(`[data-testid="export-item"][data-kind="${kind}"]`) as HTMLButtonElement).click();
  await settle();
  const call = (n: number): SaveArgs => {
    const args = calls[n];
    if (!args) throw new Error(`save_image was called ${calls.length} times, not ${n + 1}`);
    return args;
  };
  return {
    calls,
    /** The `n`th call. */
    call,
    progress: (done: number, total: number | null) => {
      sendToChannel(call(calls.length - 1).onProgress, { done, total });
      flushSync();
    },
    resolve: (answer: unknown) => resolve(answer),
    reject: (error: unknown) => reject(error),
  };
}

describe('Export → Image archive', () => {
  it('shows the bytes written with a bar while it saves, then where the file went', async () => {
    const save = await mountWithPendingSave();
    expect(save.calls).toHaveLength(1);
    expect(save.call(0)).toMatchObject({ digest: IMAGE.digest, path: null });
    expect(save.call(0).archiveId).toMatch(/^save-/);
    const button = byTestId('export-button') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.textContent?.trim()).toBe('Exporting…');
    expect(byTestId('export-progress')?.textContent).toContain('Saving the image archive…');
    expect(byTestId('export-progress-bytes')?.textContent).toBe('0 B so far');
    expect(byTestId('export-progress-bar')?.hasAttribute('aria-valuenow')).toBe(false);

    save.progress(12_000_000, 48_000_000);
    expect(byTestId('export-progress-bytes')?.textContent).toBe('12.0 MB of 48.0 MB');
    const bar = byTestId('export-progress-bar') as HTMLElement;
    expect(bar.getAttribute('role')).toBe('progressbar');
    expect(bar.getAttribute('aria-label')).toBe('Image archive saved so far');
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(byTestId('export-cancel')?.getAttribute('aria-label')).toBe('Cancel saving the image archive');

    save.progress(48_100_000, 48_100_000);
    expect(byTestId('export-progress-bar')?.getAttribute('aria-valuenow')).toBe('100');
    save.resolve({ path: '/home/me/Downloads/nginx-1.27.tar', bytes: 48_100_000 });
    await settle();
    // Progress that comes after the answer changes nothing.
    save.progress(48_100_000, 48_100_000);
    expect(byTestId('export-progress')).toBeNull();
    expect(byTestId('export-result')?.textContent).toContain('Saved the image (48.1 MB) to');
    expect(byTestId('export-path')?.textContent).toBe('/home/me/Downloads/nginx-1.27.tar');
    expect((byTestId('export-button') as HTMLButtonElement).disabled).toBe(false);
  });

  it('cancels the save by its id and says it was cancelled, not that it failed', async () => {
    const cancelled: unknown[] = [];
    let save: Awaited<ReturnType<typeof mountWithPendingSave>> | null = null;
    save = await mountWithPendingSave({
      cancel_archive: (args) => {
        cancelled.push(args);
        // The save hears it a moment later.
        setTimeout(() => save?.reject({ code: 'cancelled', message: 'Saving `/home/me/Downloads/nginx-1.27.tar` was cancelled.' }), 0);
        return null;
      },
    });
    save.progress(1_000_000, 48_000_000);
    (byTestId('export-cancel') as HTMLButtonElement).click();
    flushSync();
    expect(cancelled).toEqual([{ archiveId: save.call(0).archiveId }]);
    expect(byTestId('export-progress')?.textContent).toContain('Cancelling…');
    await settle();
    await settle();
    const result = byTestId('export-cancelled') as HTMLElement;
    expect(result.textContent).toBe('Cancelled: the image archive was not saved.');
    expect(result.getAttribute('role')).toBe('status');
    expect(byTestId('export-error')).toBeNull();
    expect(byTestId('export-progress')).toBeNull();
    expect((byTestId('export-button') as HTMLButtonElement).disabled).toBe(false);
  });

  it('says why a save failed, as an alert, and drops the bar', async () => {
    const save = await mountWithPendingSave();
    save.progress(1_000_000, 48_000_000);
    save.reject({ code: 'internal', message: 'cannot write `/home/me/Downloads/nginx-1.27.tar`: No space left on device' });
    await settle();
    const error = byTestId('export-error') as HTMLElement;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('cannot write `/home/me/Downloads/nginx-1.27.tar`: No space left on device');
    expect(byTestId('export-progress')).toBeNull();
    expect(byTestId('export-cancelled')).toBeNull();
  });

  it('starts a new save with a new id after one was cancelled', async () => {
    const save = await mountWithPendingSave({ cancel_archive: () => null });
    save.reject({ code: 'cancelled', message: 'cancelled' });
    await settle();
    expect(byTestId('export-cancelled')).not.toBeNull();
    (byTestId('export-button') as HTMLButtonElement).click();
    flushSync();
    (dom.target.querySelector('[data-testid="export-item"][data-kind="archive"]') as HTMLButtonElement).click();
    await settle();
    expect(save.calls).toHaveLength(2);
    expect(save.call(1).archiveId).not.toBe(save.call(0).archiveId);
    expect(byTestId('export-cancelled')).toBeNull();
    expect(byTestId('export-progress')).not.toBeNull();
  });
});

describe('Export → Filesystem', () => {
  it('exports the final filesystem as one tar with its progress, then says where it went', async () => {
    const save = await mountWithPendingSave({}, 'filesystem', 'export_filesystem');
    expect(save.call(0)).toMatchObject({ digest: IMAGE.digest, path: null });
    expect(byTestId('export-progress')?.textContent).toContain('Saving the filesystem…');
    save.progress(5_000_000, null);
    expect(byTestId('export-progress-bytes')?.textContent).toBe('5.00 MB so far');
    expect(byTestId('export-progress-bar')?.getAttribute('aria-label')).toBe('Filesystem saved so far');
    expect(byTestId('export-cancel')?.getAttribute('aria-label')).toBe('Cancel saving the filesystem');
    save.resolve({ path: '/home/me/Downloads/nginx-1.27.rootfs.tar', bytes: 130_000_000 });
    await settle();
    expect(byTestId('export-result')?.textContent).toContain('Saved the image’s filesystem (130 MB) to');
    expect(byTestId('export-path')?.textContent).toBe('/home/me/Downloads/nginx-1.27.rootfs.tar');
  });

  it('says a cancelled export was cancelled', async () => {
    const save = await mountWithPendingSave({ cancel_archive: () => null }, 'filesystem', 'export_filesystem');
    save.reject({ code: 'cancelled', message: 'Exporting `/x` was cancelled; the file was not written.' });
    await settle();
    expect(byTestId('export-progress')).toBeNull();
    expect(dom.target.textContent).toContain('the filesystem');
    expect(dom.target.querySelector('[role="alert"]')).toBeNull();
  });
});
