// The label set: names, colours, kinds. Temporal labels carry a TIMEX3 value.

export const DEFAULT_LABELS = [
  { name: 'PER', color: '#f4a3a8', kind: 'entity' },
  { name: 'ORG', color: '#8fc3f0', kind: 'entity' },
  { name: 'LOC', color: '#9edc9a', kind: 'entity' },
  { name: 'MISC', color: '#d9b8f2', kind: 'entity' },
  { name: 'DATE', color: '#ffd37a', kind: 'temporal' },
  { name: 'TIME', color: '#ffb27a', kind: 'temporal' },
  { name: 'DURATION', color: '#a8e6e0', kind: 'temporal' },
  { name: 'SET', color: '#e6d3a8', kind: 'temporal' },
];

const PALETTE = ['#f4a3a8', '#8fc3f0', '#9edc9a', '#d9b8f2', '#ffd37a', '#ffb27a', '#a8e6e0', '#e6d3a8', '#c9d4a0', '#f2b8d9', '#b8c4f2', '#d0d0d0'];
const TEMPORAL = new Set(['DATE', 'TIME', 'DURATION', 'SET', 'TIMEX', 'TIMEX3']);

/** Label names: letters, digits, _ and -, 1 to 24 characters, any script. */
export function validLabelName(name) {
  return typeof name === 'string' && /^[\p{L}\p{N}_-]{1,24}$/u.test(name);
}

export function newLabel(name, existing) {
  const used = new Set(existing.map((l) => l.color));
  const color = PALETTE.find((c) => !used.has(c)) || PALETTE[existing.length % PALETTE.length];
  return { name, color, kind: TEMPORAL.has(name.toUpperCase()) ? 'temporal' : 'entity' };
}

/** Parses stored or imported label lists, dropping anything malformed. */
export function sanitizeLabels(list) {
  if (!Array.isArray(list)) return null;
  const out = [];
  const seen = new Set();
  for (const l of list) {
    if (!l || !validLabelName(l.name) || seen.has(l.name)) continue;
    seen.add(l.name);
    out.push({
      name: l.name,
      color: typeof l.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(l.color) ? l.color : newLabel(l.name, out).color,
      kind: l.kind === 'temporal' ? 'temporal' : 'entity',
      ...(l.hidden === true ? { hidden: true } : {}),
    });
  }
  return out.length ? out : null;
}

/** The key (1-9) that applies a label, or '' past the ninth. */
export function keyFor(index) {
  return index < 9 ? String(index + 1) : '';
}
