/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time by function and by area (node:
 * internals, TLS, MQTT, SQLite, crypto, zod, GC, idle), over the whole profile or its last
 * `--last=S` seconds. The remaining-floor tables of bench/README.md come from it.
 *
 * Usage: node bench/profile-summary.ts FILE.cpuprofile [--last=S] [--top=N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { last: { type: 'string' }, top: { type: 'string', default: '30' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/profile-summary.ts FILE.cpuprofile [--last=S] [--top=N]');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** The area a sample belongs to: the first recognisable frame from the leaf up. */
function area(id: number): string {
  const leaf = byId.get(id)?.callFrame;
  if (leaf?.functionName === '(idle)') return 'idle';
  if (leaf?.functionName === '(garbage collector)') return 'GC';
  if (leaf?.functionName === '(program)') return 'program (native, unattributed)';
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)?.callFrame;
    const u = f?.url ?? '';
    if (u.includes('better-sqlite3')) return 'SQLite (better-sqlite3)';
    if (u.includes('/storage/')) return 'store adapter';
    if (u.includes('/zod/')) return 'zod';
    if (u.includes('/aedes') || u.includes('mqtt-packet') || u.includes('mqemitter'))
      return 'MQTT (aedes, mqtt-packet)';
    if (u.includes('/pino') || u.includes('/logging/')) return 'logging';
    if (u.includes('node:_tls') || u.includes('node:tls') || f?.functionName === 'onStreamRead')
      return 'TLS and sockets';
    if (u.includes('/src/protocol/')) return 'protocol (envelope, JSON, replay window)';
    if (u.includes('/src/ingest/')) return 'ingest pipeline';
    if (u.includes('/src/rules/') || u.includes('/src/alarms/')) return 'rules and alarms';
    if (u.includes('/src/api/') || u.includes('/src/live/') || u.includes('/ws/')) return 'API and live feed';
    if (u.includes('/src/broker/')) return 'broker hooks';
  }
  return 'other';
}

const cutoff = values.last ? p.endTime - Number(values.last) * 1e6 : p.startTime;
const self = new Map<number, number>();
let t = p.startTime;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] ?? 0;
  if (t < cutoff) continue;
  const dt = p.timeDeltas[i + 1] ?? 0;
  const id = p.samples[i] as number;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
}
const areas = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const a = area(id);
  areas.set(a, (areas.get(a) ?? 0) + us);
  const f = byId.get(id)?.callFrame;
  const key = `${f?.functionName || '(anonymous)'} ${f?.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/') ?? ''}:${(f?.lineNumber ?? 0) + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const busy = total - (areas.get('idle') ?? 0);
const pct = (us: number, of: number) => `${((us / of) * 100).toFixed(1)}%`.padStart(6);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${pct(busy, total)}`);
console.log('\nby area (share of busy time):');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]))
  if (a !== 'idle') console.log(`  ${pct(us, busy)}  ${a}`);
console.log(`\ntop ${values.top} functions by self time (share of busy time):`);
for (const [k, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) {
  if (!k.startsWith('(idle)')) console.log(`  ${pct(us, busy)}  ${k}`);
}
