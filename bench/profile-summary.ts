// Summarises a V8 .cpuprofile: where the time went, by package (self time, and "inclusive":
// time of samples with that package anywhere on the stack) and by function (self time).
// Also runnable alone: node dist/bench/profile-summary.js <file.cpuprofile>
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../dev/migrate.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or area) a frame belongs to. */
function areaOf(url: string, functionName: string, root: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal/crypto') || url === 'node:crypto' ? 'node:crypto' : 'node:internal';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith(root)) {
    const rel = path.slice(root.length + 1);
    if (rel.startsWith('dist/src/generated/')) return 'project: src/generated (prisma client)';
    const parts = rel.replace(/^dist\//, '').split('/');
    return `project: ${parts.slice(0, 2).join('/')}`;
  }
  return path;
}

function table(rows: Array<[string, number]>, total: number, limit: number): string {
  return rows
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
}

export function summariseProfile(file: string, root = projectRoot(), limit = 20): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByArea = new Map<string, number>();
  const inclusiveByArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i])!;
    total += delta;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idle += delta;
      continue;
    }
    const area = areaOf(frame.url, frame.functionName, root);
    selfByArea.set(area, (selfByArea.get(area) ?? 0) + delta);
    const where = frame.url ? `${frame.url.replace(`file://${root}/`, '')}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + delta);
    const seen = new Set<string>();
    let owner: string | undefined;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') continue;
      const a = areaOf(f.url, f.functionName, root);
      seen.add(a);
      if (owner === undefined && f.url && !f.url.startsWith('node:')) owner = a;
    }
    owner ??= area;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    for (const a of seen) inclusiveByArea.set(a, (inclusiveByArea.get(a) ?? 0) + delta);
  }
  const busy = total - idle;
  return [
    `  sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (${((busy / total) * 100).toFixed(0)}%); percentages of busy time`,
    'self time by owner (native and Node-internal frames charged to the nearest package or project code calling them):',
    table([...byOwner], busy, limit),
    'self time by package/area:',
    table([...selfByArea], busy, limit),
    'inclusive time by package/area (sample has it anywhere on the stack):',
    table([...inclusiveByArea], busy, limit),
    'self time by function:',
    table([...selfByFunction], busy, limit),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile>\n');
    process.exit(2);
  }
  process.stdout.write(summariseProfile(file) + '\n');
}
