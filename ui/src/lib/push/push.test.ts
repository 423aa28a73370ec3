import { describe, expect, it } from 'vitest';

import { applyEvent, blobsFinished, newPush, overall, resultSummary } from './push';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('push state', () => {
  it('a blob the manifest names twice is counted once, and both rows follow it', () => {
    const push = newPush('p1', 'registry.lan/app:1');
    applyEvent(push, {
      event: 'started',
      reference: 'registry.lan/app:1',
      digest: `sha256:${'0'.repeat(64)}`,
      blobs: [
        { digest: A, size: 100, mediaType: 'config' },
        { digest: B, size: 1_000, mediaType: 'layer' },
        { digest: B, size: 1_000, mediaType: 'layer' },
      ],
    });
    expect(push.status).toBe('pushing');
    expect(overall(push)).toEqual({ done: 0, total: 1_100 });
    applyEvent(push, { event: 'blobProgress', digest: B, uploaded: 400, total: 1_000 });
    expect(push.blobs.map((b) => b.uploaded)).toEqual([0, 400, 400]);
    expect(overall(push)).toEqual({ done: 400, total: 1_100 });
    // A retry sends the blob from its start again.
    applyEvent(push, { event: 'blobRetrying', digest: B, attempt: 2, reason: 'reset' });
    expect(overall(push)).toEqual({ done: 0, total: 1_100 });
    expect(blobsFinished(push)).toBe(false);
    applyEvent(push, { event: 'blobExists', digest: A });
    applyEvent(push, { event: 'blobPushed', digest: B });
    expect(push.blobs.map((b) => b.status)).toEqual(['exists', 'pushed', 'pushed']);
    expect(blobsFinished(push)).toBe(true);
    expect(overall(push)).toEqual({ done: 1_100, total: 1_100 });
    applyEvent(push, { event: 'manifestPushed', digest: `sha256:${'0'.repeat(64)}` });
    expect(push.manifestPushed).toBe(true);
  });

  it('a push that sent nothing says so', () => {
    const base = { reference: 'r', digest: 'd', id: 'i', bytesUploaded: 0, pushed: 0, mounted: 0, skipped: 0 };
    expect(resultSummary({ ...base, existing: 3 })).toBe('3 already there');
    expect(resultSummary({ ...base, existing: 0 })).toBe('Nothing to upload');
    expect(resultSummary({ ...base, existing: 0, pushed: 1, bytesUploaded: 512 })).toBe('1 blob pushed (512 B)');
  });
});
