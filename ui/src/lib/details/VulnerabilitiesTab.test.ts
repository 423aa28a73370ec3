import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';
import { IpcError, resetPreferences, type FindingRow, type LayerRow, type VulnsAnswer } from '../../tauri/ipc';
import { mockCommands, storeCommands } from '../../tauri/testing';
import { changeText, groupFindings, newerAdvice, sourceLine, type VulnsState } from './vulns';
import VulnerabilitiesTab from './VulnerabilitiesTab.svelte';

const HOSTILE = '<img src=x onerror=alert(1)>';

function finding(id: string, pkg: string, severity: FindingRow['severity'], overrides: Partial<FindingRow> = {}): FindingRow {
  return {
    id,
    aliases: [],
    summary: `${pkg} - security update`,
    severity,
    severitySource: 'rating',
    cvssScore: null,
    cvssVector: null,
    package: pkg,
    version: '1.0-1',
    kind: 'deb',
    purl: `pkg:deb/debian/${pkg}@1.0-1`,
    ecosystem: 'Debian:12',
    matchedName: null,
    fixedVersion: '1.0-2',
    layer: 0,
    layerDigest: `sha256:${'a'.repeat(64)}`,
    url: `https://osv.dev/vulnerability/${id}`,
    ...overrides,
  };
}

const FINDINGS: FindingRow[] = [
  finding('DSA-5532-1', 'libssl3', 'critical', {
    aliases: ['CVE-2023-5363', 'DEBIAN-CVE-2023-5363'],
    cvssScore: 9.8,
    severitySource: 'cvss',
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    matchedName: 'openssl',
    fixedVersion: '3.0.11-1~deb12u2',
    version: '3.0.11-1~deb12u1',
  }),
  finding('DEBIAN-CVE-2024-0727', 'libssl3', 'low', { version: '3.0.11-1~deb12u1', fixedVersion: '3.0.13-1~deb12u1' }),
  finding('DSA-9-1', 'curl', 'high', { layer: 2, fixedVersion: null }),
  finding('DSA-9-2', 'curl', 'high', { layer: 2, cvssScore: 8.1 }),
  finding('GHSA-aaaa', 'left-pad', 'medium', { kind: 'npm', ecosystem: 'npm', layer: 3, version: '1.3.0' }),
];

function answer(overrides: Partial<VulnsAnswer> = {}): VulnsAnswer {
  const findings = overrides.findings ?? FINDINGS;
  const counts = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unknown: 0, total: 0 };
  for (const f of findings) {
    counts[f.severity] += 1;
    counts.total += 1;
  }
  return {
    source: { kind: 'offline', url: null, path: '/store/porthole-vulndb/osv.sqlite', importedAt: '2025-06-01T10:00:00Z' },
    packagesScanned: 9,
    packagesCovered: 7,
    counts,
    findings,
    notCovered: [
      {
        package: 'mystery',
        version: '(devel)',
        kind: 'go',
        ecosystem: 'Go',
        reason: 'noVersion',
        message: 'the package has no version that advisories can be matched against',
      },
      {
        package: 'requests',
        version: '2.0',
        kind: 'python',
        ecosystem: 'PyPI',
        reason: 'notImported',
        message: 'the offline database has not imported this ecosystem; update it in Settings',
      },
    ],
    recommendedFixes: [
      {
        package: 'openssl',
        kind: 'deb',
        ecosystem: 'Debian:12',
        installedVersion: '3.0.11-1~deb12u1',
        targetVersion: '3.0.13-1~deb12u1',
        packages: ['libssl3', 'openssl'],
        clears: { critical: 1, high: 0, medium: 0, low: 1, none: 0, unknown: 0, total: 2 },
        clearedIds: ['DSA-5532-1', 'DEBIAN-CVE-2024-0727'],
        remaining: 0,
      },
    ],
    warnings: [],
    missingExports: ['PyPI'],
    ...overrides,
  };
}

const STEPS: LayerRow[] = [0, 1, 2, 3].map((index) => ({
  index,
  digest: `sha256:${String(index).repeat(64)}`,
  command: ['ADD rootfs.tar /', 'ENV LANG=C.UTF-8', 'RUN apt-get install -y curl', 'COPY node_modules /app'][index]!,
  createdBy: null,
  created: null,
  size: 0,
  empty: false,
  added: 0,
  modified: 0,
  removed: 0,
}));

const dom = componentFixture();
const { byTestId, allByTestId } = dom;

beforeEach(() => {
  resetPreferences();
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function show(
  vulns: VulnsState,
  onRetry: () => void = () => {},
  more: { chosenSteps?: ReadonlySet<number>; onClearSteps?: () => void } = {},
): Promise<void> {
  dom.mount(VulnerabilitiesTab, { vulns, steps: STEPS, onRetry, ...more });
  await settle();
}

const ready = (a: VulnsAnswer): VulnsState => ({ kind: 'ready', answer: a });
const texts = (id: string) => allByTestId(id).map((e) => e.textContent?.replace(/\s+/g, ' ').trim());
const chip = (level: string) => dom.target.querySelector(`[data-testid="vulns-chip"][data-level="${level}"]`) as HTMLButtonElement;

describe('groupFindings', () => {
  it('groups by installed package, the most severe package first, findings most severe first', () => {
    const groups = groupFindings(FINDINGS);
    expect(groups.map((g) => [g.package, g.worst, g.findings.map((f) => f.id)])).toEqual([
      ['libssl3', 'critical', ['DSA-5532-1', 'DEBIAN-CVE-2024-0727']],
      ['curl', 'high', ['DSA-9-2', 'DSA-9-1']],
      ['left-pad', 'medium', ['GHSA-aaaa']],
    ]);
    expect(groupFindings(FINDINGS, ['low', 'medium']).map((g) => [g.package, g.worst])).toEqual([
      ['left-pad', 'medium'],
      ['libssl3', 'low'],
    ]);
  });

  it('says where the advisories came from', () => {
    expect(sourceLine(answer())).toMatch(/^Checked against the offline database, updated .*2025/);
    expect(sourceLine(answer({ source: { kind: 'online', url: 'http://127.0.0.1:9', path: null, importedAt: null } }))).toBe(
      'Checked against the OSV API at http://127.0.0.1:9',
    );
  });
});

describe('VulnerabilitiesTab with steps chosen in the Layers tab', () => {
  it('shows only the findings in the packages the chosen steps introduced, and says so', async () => {
    mockCommands({});
    let cleared = 0;
    await show(ready(answer()), () => {}, { chosenSteps: new Set([2]), onClearSteps: () => cleared++ });
    expect(texts('vulns-group-package')).toEqual(['curl']);
    expect(texts('vulns-steps-notice')).toEqual(['Showing what step 3 introduced — Clear']);
    // The chips count what the chosen steps introduced; the upgrade of openssl is not among it.
    expect(allByTestId('vulns-chip').map((c) => c.getAttribute('data-level'))).toEqual(['all', 'high']);
    expect(chip('all').textContent).toContain('2');
    expect(byTestId('vulns-fixes')).toBeNull();
    expect(byTestId('vulns-count')?.textContent).toContain('Showing 2 of 5 findings');
    (byTestId('vulns-steps-clear') as HTMLButtonElement).click();
    expect(cleared).toBe(1);
  });

  it('says when the chosen steps introduced nothing vulnerable', async () => {
    mockCommands({});
    await show(ready(answer()), () => {}, { chosenSteps: new Set([1]) });
    expect(byTestId('vulns-no-match')).not.toBeNull();
    expect(allByTestId('vulns-group')).toHaveLength(0);
    expect(byTestId('vulns-steps-notice')?.textContent).toContain('step 2');
  });
});

describe('VulnerabilitiesTab', () => {
  it('shows findings grouped by package with severity, CVSS, CVEs, versions and the introducing step', async () => {
    await show(ready(answer()));
    expect(texts('vulns-group-package')).toEqual(['libssl3', 'curl', 'left-pad']);
    const first = allByTestId('vulns-group')[0]!;
    const inFirst = (id: string) => [...first.querySelectorAll(`[data-testid="${id}"]`)].map((e) => e.textContent?.replace(/\s+/g, ' ').trim());
    expect(inFirst('vulns-id')).toEqual(['DSA-5532-1', 'DEBIAN-CVE-2024-0727']);
    expect(inFirst('vulns-severity')).toEqual(['Critical 9.8', 'Low']);
    expect(inFirst('vulns-alias')).toEqual(['CVE-2023-5363']);
    expect(inFirst('vulns-versions')[0]).toBe('3.0.11-1~deb12u1 → 3.0.11-1~deb12u2');
    expect(inFirst('vulns-url')[0]).toBe('https://osv.dev/vulnerability/DSA-5532-1');
    expect(first.querySelector('[data-testid="vulns-severity"]')?.getAttribute('title')).toContain('CVSS:3.1/AV:N');
    const curl = allByTestId('vulns-group')[1]!;
    const step = curl.querySelector('[data-testid="vulns-group-step"]') as HTMLElement;
    expect(step.textContent).toBe('Step 3');
    expect(step.title).toBe('Step 3: RUN apt-get install -y curl');
    expect(curl.querySelectorAll('[data-testid="vulns-versions"]')[1]?.textContent).toContain('no fix yet');
    expect(byTestId('vulns-source')?.textContent).toContain('Checked against the offline database, updated');
    expect(byTestId('vulns-count')?.textContent?.replace(/\s+/g, ' ')).toContain('5 findings in 3 packages, of 7 packages checked');
  });

  it('filters by severity with chips that carry the counts', async () => {
    await show(ready(answer()));
    expect(texts('vulns-chip')).toEqual(['All 5', 'Critical 1', 'High 2', 'Medium 1', 'Low 1']);
    chip('high').click();
    flushSync();
    expect(texts('vulns-group-package')).toEqual(['curl']);
    expect(chip('high').getAttribute('aria-pressed')).toBe('true');
    expect(chip('all').getAttribute('aria-pressed')).toBe('false');
    chip('low').click();
    flushSync();
    expect(texts('vulns-group-package')).toEqual(['curl', 'libssl3']);
    expect(texts('vulns-id')).toEqual(['DSA-9-2', 'DSA-9-1', 'DEBIAN-CVE-2024-0727']);
    expect(byTestId('vulns-count')?.textContent).toContain('Showing 3 of 5 findings');
    (byTestId('vulns-clear') as HTMLButtonElement).click();
    flushSync();
    expect(texts('vulns-group-package')).toEqual(['libssl3', 'curl', 'left-pad']);
  });

  it('remembers the severity filter as a preference', async () => {
    const stored = new Map<string, unknown>([['severityFilter', ['medium']]]);
    mockCommands(storeCommands(stored));
    await show(ready(answer()));
    expect(texts('vulns-group-package')).toEqual(['left-pad']);
    chip('critical').click();
    await settle();
    expect(stored.get('severityFilter')).toEqual(['medium', 'critical']);
  });

  it('lists the recommended fixes with what each clears', async () => {
    await show(ready(answer()));
    const fix = byTestId('vulns-fix')!;
    expect(fix.querySelector('[data-testid="vulns-fix-package"]')?.textContent).toBe('openssl');
    expect(fix.querySelector('[data-testid="vulns-fix-versions"]')?.textContent).toBe('3.0.11-1~deb12u1 → 3.0.13-1~deb12u1');
    expect(fix.querySelector('[data-testid="vulns-fix-clears"]')?.textContent).toBe('clears 2 advisories (1 critical, 1 low)');
    expect(fix.textContent).toContain('(libssl3, openssl)');
  });

  it('lists the packages not checked, with why, and the warnings', async () => {
    await show(ready(answer({ warnings: ['3 advisories of Debian:12 could not be evaluated'] })));
    const details = byTestId('vulns-not-covered') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')?.textContent).toContain('2 packages were not checked');
    expect(details.querySelector('summary')?.textContent).toContain('lacks PyPI');
    expect(texts('vulns-uncovered')[0]).toContain('mystery (devel) Go — the package has no version');
    expect(texts('vulns-warning')).toEqual(['3 advisories of Debian:12 could not be evaluated']);
  });

  it('has an empty state that says how many packages were checked, distinct from an error', async () => {
    await show(ready(answer({ findings: [], recommendedFixes: [] })));
    expect(byTestId('vulns-empty')?.querySelector('h2')?.textContent).toBe('No known vulnerabilities in 7 packages checked');
    expect(byTestId('vulns-error')).toBeNull();
    expect(byTestId('vulns-fixes')).toBeNull();
    expect(byTestId('vulns-chip')).toBeNull();
    // The packages not checked still show.
    expect(byTestId('vulns-not-covered')).not.toBeNull();
  });

  it('shows an unreachable OSV as an error with what to do, and retries', async () => {
    const onRetry = vi.fn();
    const error = new IpcError('network', 'cannot reach http://127.0.0.1:9/v1/querybatch: connection refused');
    await show({ kind: 'error', error }, onRetry);
    expect(byTestId('vulns-error')?.getAttribute('role')).toBe('alert');
    expect(byTestId('vulns-error-headline')?.textContent).toBe(
      'OSV could not be reached — import the offline database in Settings, or retry.',
    );
    expect(byTestId('vulns-error-message')?.textContent).toContain('connection refused');
    expect(byTestId('vulns-empty')).toBeNull();
    (byTestId('vulns-retry') as HTMLButtonElement).click();
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it('renders hostile advisory text as text', async () => {
    const evil = finding(HOSTILE, HOSTILE, 'high', {
      summary: `<script>alert(1)</script>${HOSTILE}`,
      aliases: [`CVE-<b>1</b>`],
      fixedVersion: '<i>2</i>',
      url: `javascript:alert(1)//${HOSTILE}`,
      matchedName: '<u>x</u>',
    });
    await show(
      ready(
        answer({
          findings: [evil],
          warnings: [`<b>warn</b>`],
          recommendedFixes: [],
          notCovered: [{ package: HOSTILE, version: '<b>1</b>', kind: 'npm', ecosystem: null, reason: 'noVersion', message: '<i>m</i>' }],
        }),
      ),
    );
    expect(byTestId('vulns-id')?.textContent).toBe(HOSTILE);
    expect(byTestId('vulns-summary')?.textContent).toBe(`<script>alert(1)</script>${HOSTILE}`);
    expect(byTestId('vulns-alias')?.textContent).toBe('CVE-<b>1</b>');
    expect(byTestId('vulns-url')?.textContent).toBe(`javascript:alert(1)//${HOSTILE}`);
    expect(byTestId('vulns-warning')?.textContent).toBe('<b>warn</b>');
    // No element made from advisory text, and no link to follow.
    expect(dom.target.querySelector('img, script, b, i, u, a')).toBeNull();
  });

  it('copies an advisory’s link', async () => {
    const writeText = vi.fn((_: string) => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await show(ready(answer()));
    const copy = byTestId('vulns-copy-url') as HTMLButtonElement;
    copy.click();
    await settle();
    expect(writeText).toHaveBeenCalledWith('https://osv.dev/vulnerability/DSA-5532-1');
    expect(copy.textContent).toBe('Copied');
    Reflect.deleteProperty(navigator, 'clipboard');
  });

  describe('newer images of the repository', () => {
    const tally = { critical: 0, high: 1, medium: 0, low: 0, none: 0, unknown: 0, total: 1 };
    const newer = (reference: string | null, change: number, created: string | null = '2025-06-01T10:00:00Z') => ({
      reference,
      digest: `sha256:${'7'.repeat(64)}`,
      created,
      counts: tally,
      criticalHighChange: change,
    });

    it('says how a newer image compares, in words', () => {
      expect(changeText(-3)).toBe('3 fewer critical/high findings');
      expect(changeText(-1)).toBe('1 fewer critical/high finding');
      expect(changeText(2)).toBe('2 more critical/high findings');
      expect(changeText(0)).toBe('as many critical/high findings');
      const advice = newerAdvice(newer('docker.io/library/x:1.2', -3));
      expect(advice).toMatch(/^A newer image of this repository, docker\.io\/library\/x:1\.2 \(created .*2025.*\), has 3 fewer critical\/high findings\.$/);
      expect(newerAdvice(newer(null, 0, null))).toBe(
        'A newer image of this repository, the untagged image 777777777777, has as many critical/high findings.',
      );
    });

    it('lists the newer images the store holds, as text', async () => {
      await show(ready(answer({ newerImages: [newer('docker.io/library/x:1.3', 1), newer(`ghcr.io/${HOSTILE}:2`, -2)] })));
      const items = allByTestId('vulns-newer-image');
      expect(items.map((i) => i.getAttribute('data-change'))).toEqual(['more', 'fewer']);
      expect(items[0]?.textContent).toContain('docker.io/library/x:1.3');
      expect(items[0]?.textContent).toContain('has 1 more critical/high finding.');
      expect(items[1]?.textContent).toContain(`ghcr.io/${HOSTILE}:2`);
      expect(dom.target.querySelector('img')).toBeNull();
    });

    it('shows nothing about newer images when the store has none, even with no findings', async () => {
      await show(ready(answer()));
      expect(byTestId('vulns-newer')).toBeNull();
      dom.unmount();
      await show(ready(answer({ findings: [], recommendedFixes: [], newerImages: [newer('docker.io/library/x:2', 0)] })));
      expect(byTestId('vulns-empty')).not.toBeNull();
      expect(allByTestId('vulns-newer-image')).toHaveLength(1);
    });
  });
});
