// Renders a document's text with its spans highlighted. Only text nodes and
// createElement: user text never goes through innerHTML.
//
// The text is split into lines (at "\n"); each line is one block element, so
// a span change re-renders only the lines it touches. A long document is
// first drawn in chunks (the first screenful at once, the rest in idle time),
// and the highlights of lines far from the viewport are drawn only when they
// come near it (an IntersectionObserver): a change that touches thousands of
// lines costs what the visible ones cost.
// Every text node is mapped to its UTF-16 offset in the document, which is how
// a mouse selection becomes offsets. Overlapping spans nest; a span that
// crosses another is drawn in fragments. A label badge is a CSS ::after, so it
// is never part of the selectable text.

const FIRST_CHUNK = 40_000; // UTF-16 units drawn before the first paint
const CHUNK = 150_000; // units drawn per idle slice afterwards

export class TextView {
  /**
   * @param root element to draw into (made focusable by the page)
   * @param labelInfo (name) => {color, key, hidden} for a label name
   */
  constructor(root, labelInfo) {
    this.root = root;
    this.labelInfo = labelInfo;
    this.doc = null;
    this.nodeOffsets = new WeakMap();
    this.lineStarts = [];
    this.lineEls = [];
    this.buckets = [];
    this.rendered = 0; // lines [0, rendered) are drawn
    this.selected = null;
    this.job = null;
    this.stale = new Set(); // drawn lines whose highlights are out of date
    this.near = new Set(); // lines in or near the viewport
    this.io = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => this.onIntersect(entries), { root, rootMargin: '1200px 0px' })
      : null;
  }

  onIntersect(entries) {
    for (const e of entries) {
      const i = Number(e.target.dataset.i);
      if (e.target !== this.lineEls[i]) continue;
      if (e.isIntersecting) {
        this.near.add(i);
        if (this.stale.has(i)) this.fill(i);
      } else {
        this.near.delete(i);
      }
    }
  }

  /** Brings a drawn line's highlights up to date. */
  fill(i) {
    this.stale.delete(i);
    this.fillLine(this.lineEls[i], i);
    if (this.selected && this.buckets[i].some((s) => s.id === this.selected)) this.markSelected(this.selected, true);
  }

  /** Highlights now if the line is near the viewport (or there is no observer), else when it comes near. */
  refresh(i) {
    if (!this.io || this.near.has(i)) this.fill(i);
    else this.stale.add(i);
  }

  /** Draws a whole document (or clears the view with null). */
  setDocument(doc) {
    this.cancelJob();
    this.doc = doc;
    this.selected = null;
    this.io?.disconnect();
    this.root.replaceChildren();
    this.lineEls = [];
    this.rendered = 0;
    this.stale.clear();
    this.near.clear();
    if (!doc) return;
    const starts = [0];
    const text = doc.text;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
    this.bucket();
    this.renderUpTo(FIRST_CHUNK);
    this.scheduleRest();
  }

  lineEnd(i) {
    return i + 1 < this.lineStarts.length ? this.lineStarts[i + 1] - 1 : this.doc.text.length;
  }

  /** Index of the line that holds offset `o`. */
  lineOf(o) {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Spans per line (a span over several lines is in each). */
  bucket() {
    const b = Array.from({ length: this.lineStarts.length }, () => []);
    for (const s of this.doc.spans) {
      const first = this.lineOf(s.start);
      const last = this.lineOf(Math.max(s.start, s.end - 1));
      for (let i = first; i <= last; i++) b[i].push(s);
    }
    this.buckets = b;
  }

  renderUpTo(budget) {
    const frag = document.createDocumentFragment();
    let used = 0;
    const n = this.lineStarts.length;
    // The first lines of a document are highlighted at once; later chunks are
    // drawn as plain text and highlighted as they come near the viewport.
    const eager = this.rendered === 0;
    while (this.rendered < n && (used < budget || this.rendered === 0)) {
      const i = this.rendered;
      const el = this.renderLine(i, eager);
      this.lineEls.push(el);
      this.io?.observe(el);
      frag.append(el);
      used += this.lineEnd(i) - this.lineStarts[i] + 1;
      this.rendered += 1;
    }
    this.root.append(frag);
    if (this.selected) this.markSelected(this.selected, true);
  }

  scheduleRest() {
    if (this.rendered >= this.lineStarts.length) {
      this.root.dataset.complete = 'true';
      return;
    }
    this.root.dataset.complete = 'false';
    const step = () => {
      this.job = null;
      this.renderUpTo(CHUNK);
      this.scheduleRest();
    };
    this.job = typeof requestIdleCallback === 'function' ? { idle: requestIdleCallback(step, { timeout: 200 }) } : { timeout: setTimeout(step, 16) };
  }

  cancelJob() {
    if (!this.job) return;
    if (this.job.idle) cancelIdleCallback(this.job.idle);
    else clearTimeout(this.job.timeout);
    this.job = null;
  }

  /** Draws everything that is still pending (before scrolling to a far span). */
  finish() {
    if (!this.doc || this.rendered >= this.lineStarts.length) return;
    this.cancelJob();
    this.renderUpTo(Infinity);
    this.root.dataset.complete = 'true';
  }

  renderLine(i, highlight) {
    const el = document.createElement('div');
    el.className = 'line';
    el.dataset.i = String(i);
    if (highlight || !this.io || !this.buckets[i].length) {
      this.fillLine(el, i);
    } else {
      const ls = this.lineStarts[i];
      this.appendText(el, this.doc.text, ls, this.lineEnd(i));
      this.stale.add(i);
    }
    return el;
  }

  fillLine(el, i) {
    const text = this.doc.text;
    const ls = this.lineStarts[i];
    const le = this.lineEnd(i);
    el.replaceChildren();
    el.classList.toggle('empty', ls === le);
    const spans = this.buckets[i] || [];
    if (!spans.length) {
      if (le > ls) this.appendText(el, text, ls, le);
      return;
    }
    const cuts = new Set([ls, le]);
    for (const s of spans) {
      cuts.add(Math.max(s.start, ls));
      cuts.add(Math.min(s.end, le));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const order = [...spans].sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
    const stack = []; // [{span, el}]
    const last = new Map(); // span id -> last fragment element in this line
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const covering = order.filter((s) => s.start <= a && s.end >= b);
      let common = 0;
      while (common < stack.length && common < covering.length && stack[common].span === covering[common]) common += 1;
      stack.length = common;
      for (let j = common; j < covering.length; j++) {
        const s = covering[j];
        const m = this.markFor(s, a === s.start);
        (stack.length ? stack[stack.length - 1].el : el).append(m);
        stack.push({ span: s, el: m });
        last.set(s.id, m);
      }
      this.appendText(stack.length ? stack[stack.length - 1].el : el, text, a, b);
    }
    for (const s of spans) {
      if (s.end <= le) last.get(s.id)?.classList.add('end');
    }
  }

  appendText(parent, text, a, b) {
    const node = document.createTextNode(text.slice(a, b));
    this.nodeOffsets.set(node, a);
    parent.append(node);
  }

  markFor(s, isStart) {
    const m = document.createElement('mark');
    m.className = s.reviewed ? 'm' : 'm pending';
    if (isStart) m.classList.add('start');
    m.dataset.id = s.id;
    m.dataset.label = s.label;
    const info = this.labelInfo(s.label);
    m.style.setProperty('--c', info.color);
    if (info.hidden) m.classList.add('off');
    let title = s.label;
    if (s.value) title += ` = ${s.value}`;
    title += ` · ${s.source || 'imported'}`;
    if (!s.reviewed) title += ' · not reviewed';
    m.title = title;
    return m;
  }

  /**
   * Redraws after a change of spans: only the lines that a removed, added or
   * changed span touches (prev is the array before the change).
   */
  update(prev) {
    if (!this.doc) return;
    const next = this.doc.spans;
    const before = new Set(prev);
    const after = new Set(next);
    const lines = new Set();
    const touch = (s) => {
      const first = this.lineOf(s.start);
      const lastLine = this.lineOf(Math.max(s.start, s.end - 1));
      for (let i = first; i <= lastLine; i++) lines.add(i);
    };
    for (const s of prev) if (!after.has(s)) touch(s);
    for (const s of next) if (!before.has(s)) touch(s);
    this.bucket();
    for (const i of lines) if (i < this.rendered) this.refresh(i);
    return lines.size;
  }

  /** Redraws every line drawn so far (after a label colour change). */
  redrawAll() {
    if (!this.doc) return;
    this.bucket();
    for (let i = 0; i < this.rendered; i++) this.refresh(i);
  }

  /** Makes sure the lines a span is on are drawn and highlighted. */
  ensureSpan(span) {
    const first = this.lineOf(span.start);
    const last = this.lineOf(Math.max(span.start, span.end - 1));
    if (last >= this.rendered) this.finish();
    for (let i = first; i <= last; i++) if (this.stale.has(i)) this.fill(i);
  }

  fragments(id) {
    return this.root.querySelectorAll(`mark[data-id="${CSS.escape(id)}"]`);
  }

  markSelected(id, on) {
    for (const m of this.fragments(id)) m.classList.toggle('sel', on);
  }

  select(id, { scroll = true } = {}) {
    if (this.selected) this.markSelected(this.selected, false);
    this.selected = id;
    if (!id) return;
    const span = this.doc?.spans.find((s) => s.id === id);
    if (span) this.ensureSpan(span);
    this.markSelected(id, true);
    if (scroll) this.fragments(id)[0]?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** The innermost span id under a DOM node, or null. */
  spanAt(node) {
    const el = node?.nodeType === 1 ? node : node?.parentElement;
    const m = el?.closest?.('mark[data-id]');
    return m && this.root.contains(m) ? m.dataset.id : null;
  }

  /** The current window selection inside the view as raw UTF-16 offsets, or null. */
  selectionOffsets() {
    const sel = window.getSelection();
    if (!this.doc || !sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const r = sel.getRangeAt(0);
    if (!this.root.contains(r.commonAncestorContainer) && r.commonAncestorContainer !== this.root) {
      if (!r.intersectsNode(this.root)) return null;
    }
    const start = this.root.contains(r.startContainer) ? this.pointToOffset(r.startContainer, r.startOffset) : 0;
    const end = this.root.contains(r.endContainer) ? this.pointToOffset(r.endContainer, r.endOffset) : this.doc.text.length;
    return start < end ? { start, end } : null;
  }

  /** A DOM boundary point inside the view to a UTF-16 offset. */
  pointToOffset(node, off) {
    if (node.nodeType === 3) {
      const base = this.nodeOffsets.get(node);
      if (base !== undefined) return base + Math.min(off, node.length);
      return this.offsetBefore(node);
    }
    if (off < node.childNodes.length) return this.offsetBefore(node.childNodes[off]);
    return this.offsetAfter(node);
  }

  /** The offset where a node's content begins. */
  offsetBefore(node) {
    const t = firstText(node, this.nodeOffsets);
    if (t) return this.nodeOffsets.get(t);
    const line = lineOfNode(node, this.root);
    return line ? this.lineStarts[Number(line.dataset.i)] : this.doc.text.length;
  }

  /** The offset where a node's content ends. */
  offsetAfter(node) {
    if (node === this.root) return this.doc.text.length;
    const t = lastText(node, this.nodeOffsets);
    if (t) return this.nodeOffsets.get(t) + t.length;
    const line = lineOfNode(node, this.root);
    return line ? this.lineEnd(Number(line.dataset.i)) : 0;
  }
}

function firstText(node, map) {
  if (node.nodeType === 3) return map.has(node) ? node : null;
  const w = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let t = w.nextNode(); t; t = w.nextNode()) if (map.has(t)) return t;
  return null;
}

function lastText(node, map) {
  if (node.nodeType === 3) return map.has(node) ? node : null;
  const w = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  let found = null;
  for (let t = w.nextNode(); t; t = w.nextNode()) if (map.has(t)) found = t;
  return found;
}

function lineOfNode(node, root) {
  const el = node.nodeType === 1 ? node : node.parentElement;
  const line = el?.closest?.('.line');
  return line && root.contains(line) ? line : null;
}
