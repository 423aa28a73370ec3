// A push's state as the push dialog shows it, built from the events of its channel. Pure
// functions over plain objects, so that they are tested without a component.
import type { IpcError, PushedImage, PushProgress } from '../../tauri/ipc';
import { formatSize } from '../format';

export type BlobStatus = 'waiting' | 'pushing' | 'retrying' | 'exists' | 'mounted' | 'skipped' | 'pushed';

export interface BlobState {
  digest: string;
  /** `Config`, `Layer 1`, `Layer 2`, ... */
  role: string;
  size: number;
  uploaded: number;
  status: BlobStatus;
  /** The repository a mounted blob came from. */
  from: string | null;
  /** Why the upload is being retried. */
  note: string | null;
}

export type PushStatus = 'starting' | 'pushing' | 'done' | 'failed' | 'cancelled';

export interface PushState {
  id: string;
  /** The destination as the push was asked for (normalised by the Rust side). */
  destination: string;
  status: PushStatus;
  blobs: BlobState[];
  /** The registry has the manifest: only the answer is still to come. */
  manifestPushed: boolean;
  error: IpcError | null;
  result: PushedImage | null;
}

export function newPush(id: string, destination: string): PushState {
  return { id, destination, status: 'starting', blobs: [], manifestPushed: false, error: null, result: null };
}

/** Applies one progress event to a push (mutating `push`). A manifest may name a blob twice:
 *  every row of that digest follows it. */
export function applyEvent(push: PushState, event: PushProgress): void {
  const rows = 'digest' in event ? push.blobs.filter((b) => b.digest === event.digest) : [];
  switch (event.event) {
    case 'started':
      push.status = 'pushing';
      push.blobs = event.blobs.map((b, i) => ({
        digest: b.digest,
        role: i === 0 ? 'Config' : `Layer ${i}`,
        size: b.size,
        uploaded: 0,
        status: 'waiting',
        from: null,
        note: null,
      }));
      break;
    case 'blobExists':
      for (const b of rows) finish(b, 'exists');
      break;
    case 'blobMounted':
      for (const b of rows) {
        finish(b, 'mounted');
        b.from = event.from;
      }
      break;
    case 'blobSkipped':
      for (const b of rows) {
        b.status = 'skipped';
        b.uploaded = 0;
      }
      break;
    case 'blobProgress':
      for (const b of rows) {
        b.status = 'pushing';
        b.uploaded = event.uploaded;
        if (event.total > 0) b.size = event.total;
        b.note = null;
      }
      break;
    case 'blobRetrying':
      for (const b of rows) {
        b.status = 'retrying';
        // The next attempt sends the blob from its start.
        b.uploaded = 0;
        b.note = `Retrying (attempt ${event.attempt}): ${event.reason}`;
      }
      break;
    case 'blobPushed':
      for (const b of rows) finish(b, 'pushed');
      break;
    case 'manifestPushed':
      push.manifestPushed = true;
      break;
  }
}

function finish(blob: BlobState, status: BlobStatus): void {
  blob.status = status;
  blob.uploaded = blob.size;
  blob.note = null;
}

/** Bytes the registry has so far and bytes in all, over each distinct blob (foreign layers,
 *  which are not pushed, left out). */
export function overall(push: PushState): { done: number; total: number } {
  const seen = new Set<string>();
  let done = 0;
  let total = 0;
  for (const blob of push.blobs) {
    if (seen.has(blob.digest) || blob.status === 'skipped') continue;
    seen.add(blob.digest);
    total += blob.size;
    done += Math.min(blob.uploaded, blob.size);
  }
  return { done, total };
}

/** Whether every blob is in the registry (or left out): only the manifest is left. */
export function blobsFinished(push: PushState): boolean {
  return push.blobs.length > 0 && push.blobs.every((b) => ['exists', 'mounted', 'skipped', 'pushed'].includes(b.status));
}

/** A blob's line, in `docker push`'s words; `stopped`: the push failed or was cancelled, so a
 *  blob not in the registry yet will not be. */
export function blobText(blob: BlobState, stopped = false): string {
  if (stopped && ['waiting', 'pushing', 'retrying'].includes(blob.status)) return 'Not pushed';
  switch (blob.status) {
    case 'waiting':
      return 'Waiting';
    case 'pushing':
      return `Pushing ${formatSize(blob.uploaded)} / ${formatSize(blob.size)}`;
    case 'retrying':
      return 'Retrying';
    case 'exists':
      return 'Already exists';
    case 'mounted':
      return `Mounted from ${blob.from ?? 'another repository'}`;
    case 'skipped':
      return 'Skipped foreign layer';
    case 'pushed':
      return 'Pushed';
  }
}

/** What the finished push did, in one line: "2 blobs pushed (1.20 MB), 1 already there". */
export function resultSummary(result: PushedImage): string {
  const parts: string[] = [];
  const blobs = (n: number) => (n === 1 ? '1 blob' : `${n} blobs`);
  if (result.pushed > 0) parts.push(`${blobs(result.pushed)} pushed (${formatSize(result.bytesUploaded)})`);
  if (result.existing > 0) parts.push(`${result.existing} already there`);
  if (result.mounted > 0) parts.push(`${result.mounted} mounted`);
  if (result.skipped > 0) parts.push(`${result.skipped} foreign left out`);
  return parts.length === 0 ? 'Nothing to upload' : parts.join(', ');
}

export const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
