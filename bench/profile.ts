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
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: SelfTime[];
  /** Self time by where the code lives: a package, our `src/`, Node's internals, V8 (GC, idle, program). */
  places: SelfTime[];
}

/**
 * Self time per function and per place, from the Profiler domain's samples. Samples under the
 * inspector's own `post` (starting and stopping the profiler) are left out.
 */
export function summarise(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const inspector = new Set<number>();
  const mark = (node: ProfileNode, inside: boolean) => {
    const here = inside || node.callFrame.url === 'node:inspector';
    if (here) inspector.add(node.id);
    for (const child of node.children ?? []) mark(nodes.get(child)!, here);
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  mark(profile.nodes[0]!, false);
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (inspector.has(id)) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id)!;
    total += ms;
    functions.set(functionLabel(frame), (functions.get(functionLabel(frame)) ?? 0) + ms);
    places.set(placeOf(frame), (places.get(placeOf(frame)) ?? 0) + ms);
  });
  const ranked = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: ms / total }));
  return { totalMs: total, functions: ranked(functions), places: ranked(places) };
}

function functionLabel({ functionName, url, lineNumber }: CallFrame) {
  if (!url) return `(${functionName || 'anonymous'})`;
  return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
}

function placeOf({ functionName, url }: CallFrame) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]!.split('/')[0]}` : shortUrl(url);
}

function shortUrl(url: string) {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const local = /\/((?:src|bench)\/.*)$/.exec(url);
  return local ? local[1]! : url.replace(/^file:\/\//, '');
}
