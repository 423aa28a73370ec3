// The push dialog: the destination read as Docker reads it (a digest refused), per-blob
// progress in docker push's words with an overall bar, the pushed reference and digest with
// Copy, errors with Retry (and Sign in… when the registry wants credentials), Cancel and
// Escape, and names from the image or the registry shown as text.
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ImageRow, PushDestination, PushedImage, PushProgress } from '../../tauri/ipc';
import { mockCommands, sendToChannel } from '../../tauri/testing';
import { componentFixture } from '../fixture';
import { settle } from '../settle';
import ImageDetailsView from '../details/ImageDetailsView.svelte';
import ImagesView from '../images/ImagesView.svelte';
import PushDialog from './PushDialog.svelte';

const IMAGE: ImageRow = {
  reference: '127.0.0.1:5000/src/app:1.0',
  repository: '127.0.0.1:5000/src/app',
  tag: '1.0',
  id: `sha256:${'c'.repeat(64)}`,
  shortId: 'cccccccccccc',
  digest: `sha256:${'1'.repeat(64)}`,
  created: '2025-06-12T12:00:00Z',
  size: 3_000_000,
  platform: 'linux/amd64',
  indexDigest: null,
  problem: null,
};

const CONFIG = `sha256:${'a'.repeat(64)}`;
const LAYER1 = `sha256:${'b'.repeat(64)}`;
const LAYER2 = `sha256:${'d'.repeat(64)}`;
const LAYER3 = `sha256:${'e'.repeat(64)}`;
const FOREIGN = `sha256:${'f'.repeat(64)}`;

/** What the Rust side answers for a few destinations (push_destination). */
function destinationOf(reference: string): PushDestination {
  const known: Record<string, PushDestination> = {
    '127.0.0.1:5000/src/app:1.0': {
      reference: '127.0.0.1:5000/src/app:1.0',
      registry: '127.0.0.1:5000',
      repository: 'src/app',
      tag: '1.0',
      dockerHub: false,
    },
    app: { reference: 'docker.io/library/app:latest', registry: 'docker.io', repository: 'library/app', tag: 'latest', dockerHub: true },
  };
  const found = known[reference];
  if (found) return found;
  if (reference.includes('@')) {
    throw {
      code: 'invalidInput',
      message: `cannot push to ${reference}: a digest names content, not a place to put it; give a tag instead (e.g. 127.0.0.1:5000/src/app:latest)`,
    };
  }
  throw { code: 'invalidInput', message: `invalid reference format: ${reference}` };
}

interface PushArgs {
  pushId: string;
  digest: string;
  source: string | null;
  destination: string;
  onEvent: unknown;
}

const dom = componentFixture();
const { byTestId, allByTestId } = dom;

afterEach(() => {
  Reflect.deleteProperty(navigator, 'clipboard');
});

/** Past the dialog's debounce of the destination check. */
async function checked(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  await settle();
}

function type(text: string): void {
  const input = byTestId('push-destination') as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

function press(id: string): void {
  const button = byTestId(id) as HTMLButtonElement | null;
  if (!button) throw new Error(`no ${id}`);
  button.click();
  flushSync();
}

/** The dialog over `image`, with a `push_image` that answers only when the test says. */
async function mountDialog(commands: Record<string, (args: unknown) => unknown> = {}, image: ImageRow = IMAGE) {
  const calls: PushArgs[] = [];
  const cancels: string[] = [];
  const ends: { resolve: (a: unknown) => void; reject: (e: unknown) => void }[] = [];
  mockCommands({
    push_destination: (args) => destinationOf((args as { reference: string }).reference),
    push_image: (args) => {
      calls.push(args as PushArgs);
      return new Promise((resolve, reject) => ends.push({ resolve, reject }));
    },
    cancel_push: (args) => {
      cancels.push((args as { pushId: string }).pushId);
    },
    ...commands,
  });
  const onClose = vi.fn();
  dom.mount(PushDialog, { image, onClose });
  await checked();
  const last = () => {
    const end = ends.at(-1);
    if (!end) throw new Error('push_image was not called');
    return end;
  };
  return {
    calls,
    cancels,
    onClose,
    send: (event: PushProgress) => {
      sendToChannel(calls.at(-1)?.onEvent, event);
      flushSync();
    },
    resolve: async (answer: PushedImage) => {
      last().resolve(answer);
      await settle();
    },
    reject: async (error: unknown) => {
      last().reject(error);
      await settle();
    },
  };
}

const blobTexts = () => allByTestId('push-blob-text').map((e) => e.textContent?.trim());

describe('PushDialog', () => {
  it('starts from the image’s own reference, read as the push will read it', async () => {
    await mountDialog();
    const input = byTestId('push-destination') as HTMLInputElement;
    expect(input.value).toBe('127.0.0.1:5000/src/app:1.0');
    expect(document.activeElement).toBe(input);
    expect(byTestId('push-source')?.textContent).toBe('127.0.0.1:5000/src/app:1.0');
    expect(byTestId('push-target-reference')?.textContent).toBe('127.0.0.1:5000/src/app:1.0');

    type('app');
    await checked();
    expect(byTestId('push-target-reference')?.textContent).toBe('docker.io/library/app:latest');
    expect((byTestId('push-submit') as HTMLButtonElement).disabled).toBe(false);
  });

  it('refuses a digest with the engine’s reason and does not push', async () => {
    const dialog = await mountDialog();
    type(`127.0.0.1:5000/src/app@sha256:${'9'.repeat(64)}`);
    await checked();
    expect(byTestId('push-target-error')?.textContent).toContain('a digest names content, not a place to put it');
    expect((byTestId('push-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(dialog.calls).toHaveLength(0);
  });

  it('an untagged image starts empty and asks where to push', async () => {
    const dialog = await mountDialog({}, { ...IMAGE, reference: null, repository: null, tag: null });
    expect((byTestId('push-destination') as HTMLInputElement).value).toBe('');
    expect(byTestId('push-source')?.textContent).toBe('<none> (cccccccccccc)');
    press('push-submit');
    await settle();
    expect(byTestId('push-target-error')?.textContent).toContain('Enter where to push the image');
    expect(dialog.calls).toHaveLength(0);
  });

  it('shows each blob in docker push’s words under an overall bar, then the reference and digest with Copy', async () => {
    const dialog = await mountDialog();
    press('push-submit');
    await settle();
    expect(dialog.calls).toHaveLength(1);
    expect(dialog.calls[0]).toMatchObject({
      digest: IMAGE.digest,
      source: IMAGE.reference,
      destination: '127.0.0.1:5000/src/app:1.0',
    });
    expect(dialog.calls[0]?.pushId).toMatch(/^push-/);
    expect(byTestId('push-status')?.textContent).toBe('Reading the image from the store…');
    expect((byTestId('push-destination') as HTMLInputElement).disabled).toBe(true);
    expect(byTestId('push-overall')?.hasAttribute('aria-valuenow')).toBe(false);

    dialog.send({
      event: 'started',
      reference: '127.0.0.1:5000/src/app:1.0',
      digest: IMAGE.digest,
      blobs: [
        { digest: CONFIG, size: 1_000, mediaType: 'application/vnd.oci.image.config.v1+json' },
        { digest: LAYER1, size: 1_000_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        { digest: LAYER2, size: 2_000_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        { digest: LAYER3, size: 500_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        { digest: FOREIGN, size: 9_000_000, mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' },
      ],
    });
    expect(blobTexts()).toEqual(['Waiting', 'Waiting', 'Waiting', 'Waiting', 'Waiting']);
    expect(allByTestId('push-blob').map((e) => e.querySelector('.role')?.textContent)).toEqual([
      'Config',
      'Layer 1',
      'Layer 2',
      'Layer 3',
      'Layer 4',
    ]);

    dialog.send({ event: 'blobPushed', digest: CONFIG });
    dialog.send({ event: 'blobProgress', digest: LAYER1, uploaded: 250_000, total: 1_000_000 });
    dialog.send({ event: 'blobExists', digest: LAYER2 });
    dialog.send({ event: 'blobMounted', digest: LAYER3, from: 'src/base' });
    dialog.send({ event: 'blobSkipped', digest: FOREIGN });
    expect(blobTexts()).toEqual([
      'Pushed',
      'Pushing 250 kB / 1.00 MB',
      'Already exists',
      'Mounted from src/base',
      'Skipped foreign layer',
    ]);
    // The foreign layer is not pushed, so it is not in the total.
    expect(byTestId('push-bytes')?.textContent).toBe('2.75 MB of 3.50 MB');
    expect(byTestId('push-overall')?.getAttribute('aria-valuenow')).toBe('78');
    expect(byTestId('push-status')?.textContent).toBe('Pushing… 78%');

    dialog.send({ event: 'blobRetrying', digest: LAYER1, attempt: 2, reason: 'the connection broke' });
    expect(blobTexts()[1]).toBe('Retrying');
    expect(allByTestId('push-blob')[1]?.getAttribute('title')).toBe('Retrying (attempt 2): the connection broke');
    dialog.send({ event: 'blobPushed', digest: LAYER1 });
    expect(byTestId('push-status')?.textContent).toBe('Writing the manifest…');
    dialog.send({ event: 'manifestPushed', digest: IMAGE.digest });

    await dialog.resolve({
      reference: '127.0.0.1:5000/src/app:1.0',
      digest: IMAGE.digest,
      id: CONFIG,
      bytesUploaded: 1_001_000,
      pushed: 2,
      existing: 1,
      mounted: 1,
      skipped: 1,
    });
    expect(byTestId('push-status')?.textContent).toBe('Pushed');
    expect(byTestId('push-overall')?.getAttribute('aria-valuenow')).toBe('100');
    expect(byTestId('push-result-reference')?.textContent).toBe('127.0.0.1:5000/src/app:1.0');
    expect(byTestId('push-result-digest')?.textContent).toBe(IMAGE.digest);
    expect(byTestId('push-result')?.textContent).toContain(
      '2 blobs pushed (1.00 MB), 1 already there, 1 mounted, 1 foreign left out.',
    );
    expect(byTestId('push-retry')).toBeNull();

    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    press('push-copy-digest');
    await settle();
    expect(writeText).toHaveBeenCalledWith(IMAGE.digest);
    expect(byTestId('push-copy-digest')?.textContent?.trim()).toBe('Copied');
    expect(byTestId('push-copy-digest')?.getAttribute('aria-label')).toBe(`Copy ${IMAGE.digest}`);
    press('push-copy-reference');
    await settle();
    expect(writeText).toHaveBeenLastCalledWith('127.0.0.1:5000/src/app:1.0');

    press('push-close');
    expect(dialog.onClose).toHaveBeenCalledOnce();
    expect(dialog.cancels).toEqual([]);
  });

  it('refused credentials: the message, Sign in… for that registry, then Retry', async () => {
    const signIns: unknown[] = [];
    const dialog = await mountDialog({
      registry_sign_in: (args) => {
        signIns.push(args);
        return { registry: '127.0.0.1:5000', username: 'ci', helper: null, configFile: '/home/me/.docker/config.json' };
      },
    });
    press('push-submit');
    await settle();
    const message =
      'registry 127.0.0.1:5000 requires you to sign in to push to src/app: sign in to 127.0.0.1:5000 in Settings (Registries › Sign-in)';
    await dialog.reject({ code: 'auth', message });
    expect(byTestId('push-error-message')?.textContent).toBe(message);
    expect(byTestId('push-error')?.getAttribute('role')).toBe('alert');
    expect(byTestId('push-status')?.textContent).toBe('Push failed');
    expect(document.activeElement).toBe(byTestId('push-retry'));
    const signIn = byTestId('push-sign-in') as HTMLButtonElement;
    expect(signIn.getAttribute('aria-label')).toBe('Sign in to 127.0.0.1:5000');

    press('push-sign-in');
    await settle();
    expect(document.querySelector('[data-testid="sign-in-dialog"] h2')?.textContent).toBe('Sign in to 127.0.0.1:5000');
    (document.querySelector('[data-testid="sign-in-username"]') as HTMLInputElement).value = 'ci';
    document.querySelector('[data-testid="sign-in-username"]')?.dispatchEvent(new Event('input', { bubbles: true }));
    (document.querySelector('[data-testid="sign-in-password"]') as HTMLInputElement).value = 's3cret';
    document.querySelector('[data-testid="sign-in-password"]')?.dispatchEvent(new Event('input', { bubbles: true }));
    (document.querySelector('[data-testid="sign-in-submit"]') as HTMLButtonElement).click();
    await settle();
    expect(signIns).toEqual([{ registry: '127.0.0.1:5000', username: 'ci', password: 's3cret' }]);
    expect(document.querySelector('[data-testid="sign-in-dialog"]')).toBeNull();
    expect(byTestId('push-signed-in')?.textContent).toBe('Signed in to 127.0.0.1:5000 as ci. Retry the push.');

    press('push-retry');
    await settle();
    expect(dialog.calls).toHaveLength(2);
    expect(dialog.calls[1]?.pushId).not.toBe(dialog.calls[0]?.pushId);
    expect(byTestId('push-error')).toBeNull();
    expect(byTestId('push-signed-in')).toBeNull();
  });

  it('Docker Hub is signed in to as Docker Hub; a network error offers Retry but no sign-in', async () => {
    const dialog = await mountDialog();
    type('app');
    await checked();
    press('push-submit');
    await settle();
    expect(dialog.calls[0]?.destination).toBe('app');
    await dialog.reject({ code: 'auth', message: 'registry docker.io requires you to sign in to push to library/app' });
    expect(byTestId('push-sign-in')?.getAttribute('aria-label')).toBe('Sign in to Docker Hub');

    press('push-retry');
    await settle();
    await dialog.reject({ code: 'network', message: 'cannot reach registry docker.io: connection refused' });
    expect(byTestId('push-error')?.getAttribute('data-code')).toBe('network');
    expect(byTestId('push-sign-in')).toBeNull();
    expect(byTestId('push-retry')?.textContent?.trim()).toBe('Retry');
  });

  it('Cancel stops the push by its id and says nothing was tagged; Escape while pushing cancels and closes', async () => {
    const dialog = await mountDialog();
    press('push-submit');
    await settle();
    const id = dialog.calls[0]?.pushId;
    press('push-cancel');
    await settle();
    expect(dialog.cancels).toEqual([id]);
    expect(byTestId('push-cancel')?.textContent?.trim()).toBe('Cancelling…');
    await dialog.reject({ code: 'cancelled', message: 'The push was cancelled.' });
    expect(byTestId('push-cancelled')?.textContent).toContain('nothing was tagged');
    expect(byTestId('push-retry')?.textContent?.trim()).toBe('Push again');
    expect(dialog.onClose).not.toHaveBeenCalled();

    press('push-retry');
    await settle();
    const second = dialog.calls[1]?.pushId;
    byTestId('push-dialog')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(dialog.cancels).toEqual([id, second]);
    expect(dialog.onClose).toHaveBeenCalledOnce();
  });

  it('Escape before pushing just closes', async () => {
    const dialog = await mountDialog();
    byTestId('push-destination')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(dialog.onClose).toHaveBeenCalledOnce();
    expect(dialog.cancels).toEqual([]);
  });

  it('renders names and messages from the registry as text, never as markup', async () => {
    const dialog = await mountDialog();
    press('push-submit');
    await settle();
    const markup = '<img src=x onerror="window.__pwned=1">';
    dialog.send({
      event: 'started',
      reference: IMAGE.reference ?? '',
      digest: IMAGE.digest,
      blobs: [
        { digest: CONFIG, size: 10, mediaType: 'application/vnd.oci.image.config.v1+json' },
        { digest: LAYER1, size: 10, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
      ],
    });
    dialog.send({ event: 'blobMounted', digest: CONFIG, from: markup });
    dialog.send({ event: 'blobRetrying', digest: LAYER1, attempt: 1, reason: markup });
    expect(blobTexts()[0]).toBe(`Mounted from ${markup}`);
    expect(allByTestId('push-blob')[1]?.getAttribute('title')).toBe(`Retrying (attempt 1): ${markup}`);
    await dialog.reject({ code: 'internal', message: `registry rejected the manifest: ${markup}` });
    // The push stopped: what was not in the registry yet will not be.
    expect(blobTexts()).toEqual([`Mounted from ${markup}`, 'Not pushed']);
    expect(byTestId('push-error-message')?.textContent).toBe(`registry rejected the manifest: ${markup}`);
    expect(byTestId('push-dialog')?.querySelector('img')).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe('where Push… is', () => {
  const details = {
    fileCount: 0,
    steps: [],
    config: { entrypoint: null, cmd: null, env: [], workingDir: null, user: null, exposedPorts: [], volumes: [], labels: [] },
  };

  it('the details header opens the dialog for its image; Escape closes it and focus returns', async () => {
    mockCommands({
      image_details: () => details,
      image_packages: () => ({ os: null, packages: [], problems: [], counts: [] }),
      push_destination: (args) => destinationOf((args as { reference: string }).reference),
    });
    dom.mount(ImageDetailsView, { image: IMAGE });
    await settle();
    const button = byTestId('details-push') as HTMLButtonElement;
    expect(button.getAttribute('aria-label')).toBe('Push 127.0.0.1:5000/src/app:1.0 to a registry');
    button.click();
    await checked();
    expect(byTestId('push-source')?.textContent).toBe('127.0.0.1:5000/src/app:1.0');
    expect(byTestId('push-target-reference')?.textContent).toBe('127.0.0.1:5000/src/app:1.0');
    byTestId('push-destination')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(byTestId('push-dialog')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('an Images row’s Push opens the dialog for that row', async () => {
    const other = { ...IMAGE, reference: 'docker.io/library/app:2', repository: 'docker.io/library/app', tag: '2', digest: `sha256:${'2'.repeat(64)}` };
    mockCommands({
      list_images: () => [IMAGE, other],
      store_usage: () => ({ reclaimableBytes: 0, reclaimableBlobs: 0 }),
      push_destination: (args) => {
        const reference = (args as { reference: string }).reference;
        return reference === 'docker.io/library/app:2'
          ? { reference, registry: 'docker.io', repository: 'library/app', tag: '2', dockerHub: true }
          : destinationOf(reference);
      },
    });
    dom.mount(ImagesView);
    await settle();
    const buttons = allByTestId('image-push') as HTMLButtonElement[];
    const row = buttons.find((b) => b.getAttribute('aria-label') === 'Push docker.io/library/app:2');
    if (!row) throw new Error(`no Push button for app:2 among ${buttons.map((b) => b.getAttribute('aria-label'))}`);
    row.click();
    await checked();
    expect((byTestId('push-destination') as HTMLInputElement).value).toBe('docker.io/library/app:2');
    press('push-close');
    await settle();
    expect(byTestId('push-dialog')).toBeNull();
    expect(document.activeElement).toBe(row);
  });
});
