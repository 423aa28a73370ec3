// The pulls started from the app. They live here, not in a component, so that a pull goes
// on (and its progress stays visible) while the person navigates.
import { cancelPull, IpcError, pullImage, type PulledImage, type PullProgress } from '../../tauri/ipc';

export type LayerStatus = 'waiting' | 'downloading' | 'retrying' | 'exists' | 'verifying' | 'indexing' | 'done';

export interface LayerState {
  digest: string;
  size: number;
  downloaded: number;
  status: LayerStatus;
  /** Why the download is being retried. */
  note: string | null;
}

export type PullStatus = 'resolving' | 'pulling' | 'done' | 'failed' | 'cancelled';

export interface PullState {
  id: string;
  /** What was asked for, e.g. `docker.io/library/nginx:1.27`. */
  reference: string;
  /** The platform asked for; `null` for the default. */
  platform: string | null;
  /** The platform the registry resolved to. */
  resolvedPlatform: string | null;
  status: PullStatus;
  layers: LayerState[];
  error: IpcError | null;
  result: PulledImage | null;
  /** "Pull again": the manifest digest the store had for this reference before, to tell a
   *  newer image from "already up to date". `null` for a first pull. */
  previousDigest: string | null;
}

/** What a finished "Pull again" found: a newer image, or the one already in the store. */
export function repullOutcome(pull: PullState): 'newer' | 'upToDate' | null {
  if (pull.status !== 'done' || pull.result === null || pull.previousDigest === null) return null;
  return pull.result.digest === pull.previousDigest ? 'upToDate' : 'newer';
}

/** Applies one progress event to a pull (pure but for mutating `pull`). */
export function applyEvent(pull: PullState, event: PullProgress): void {
  const layer = 'digest' in event ? pull.layers.find((l) => l.digest === event.digest) : undefined;
  switch (event.event) {
    case 'resolved':
      pull.status = 'pulling';
      pull.resolvedPlatform = event.platform;
      pull.layers = event.layers.map((l) => ({
        digest: l.digest,
        size: l.size,
        downloaded: 0,
        status: 'waiting',
        note: null,
      }));
      break;
    case 'layerExists':
      if (layer) {
        layer.status = 'exists';
        layer.downloaded = layer.size;
      }
      break;
    case 'layerProgress':
      if (layer) {
        layer.status = 'downloading';
        layer.downloaded = event.downloaded;
        if (event.total > 0) layer.size = event.total;
        layer.note = null;
      }
      break;
    case 'layerRetrying':
      if (layer) {
        layer.status = 'retrying';
        layer.note = `Retrying (attempt ${event.attempt}): ${event.reason}`;
      }
      break;
    case 'layerVerifying':
      if (layer) {
        layer.status = 'verifying';
        layer.downloaded = layer.size;
      }
      break;
    case 'layerIndexing':
      if (layer && layer.status !== 'exists') {
        layer.status = 'indexing';
        layer.downloaded = layer.size;
      }
      break;
    case 'layerDone':
      if (layer) {
        if (layer.status !== 'exists') layer.status = 'done';
        layer.downloaded = layer.size;
      }
      break;
    case 'done':
      break;
  }
}

/** Bytes in hand and bytes in all, over every layer. */
export function overall(pull: PullState): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const layer of pull.layers) {
    total += layer.size;
    done += Math.min(layer.downloaded, layer.size);
  }
  return { done, total };
}

/** Every pull started in this window, newest first. */
export const pulls: PullState[] = $state([]);

let counter = 0;

function run(pull: PullState): void {
  const live = () => pulls.find((p) => p.id === pull.id) ?? pull;
  pullImage(pull.id, pull.reference, pull.platform, (event) => applyEvent(live(), event)).then(
    (result) => {
      const p = live();
      p.status = 'done';
      p.result = result;
    },
    (raw: unknown) => {
      const p = live();
      const error = IpcError.from(raw, 'pull_image');
      p.status = error.code === 'cancelled' ? 'cancelled' : 'failed';
      p.error = error;
    },
  );
}

/** Starts pulling `reference`; the returned state updates as the pull goes. For "Pull
 *  again", `previousDigest` is the manifest digest the store has for it now. */
export function startPull(reference: string, platform: string | null, previousDigest: string | null = null): PullState {
  counter += 1;
  const id = `pull-${Date.now().toString(36)}-${counter}`;
  pulls.unshift({
    id,
    reference,
    platform,
    resolvedPlatform: null,
    status: 'resolving',
    layers: [],
    error: null,
    result: null,
    previousDigest,
  });
  // The proxy that `$state` made of it, so that updates show wherever it is displayed.
  const pull = pulls.find((p) => p.id === id);
  if (!pull) throw new Error('a pull that was just added is missing');
  run(pull);
  return pull;
}

/** Asks the backend to stop a running pull. */
export function cancel(pull: PullState): void {
  void cancelPull(pull.id).catch(() => {});
}

/** Starts the same pull again (what was already downloaded is kept and resumed). */
export function retry(pull: PullState): PullState {
  return startPull(pull.reference, pull.platform, pull.previousDigest);
}

export function isRunning(pull: PullState): boolean {
  return pull.status === 'resolving' || pull.status === 'pulling';
}
