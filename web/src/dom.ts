/**
 * DOM building without HTML strings: every text goes through textContent, so data from the API
 * can never become markup. There is no `style` attribute (the CSP has `style-src 'self'`): looks
 * come from classes in web/src/styles/*.css, and the few computed sizes are set through the CSSOM.
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type Listener = (ev: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

function setAttrs(el: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'style') throw new Error('inline style attributes are not allowed (CSP)');
    if (typeof v === 'function') {
      el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    } else if (k === 'class') {
      el.setAttribute('class', String(v));
    } else if (k === 'testid') {
      el.setAttribute('data-testid', String(v));
    } else if (k === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) {
      el.value = String(v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
}

/** `h('button', { class: 'btn', onclick: fn, testid: 'x' }, 'Label')`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (icons, the map). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A CSS class string from a map of conditions. */
export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

const ALLOWED_SVG = new Set([
  'svg',
  'g',
  'path',
  'rect',
  'circle',
  'polygon',
  'polyline',
  'line',
  'title',
  'desc',
]);
const ALLOWED_SVG_ATTRS = new Set([
  'viewBox',
  'width',
  'height',
  'd',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'fill',
  'stroke',
  'stroke-width',
  'shape-rendering',
  'points',
  'transform',
  'fill-rule',
  'xmlns',
]);

/**
 * Parses a server-generated SVG (the TOTP QR code) with DOMParser and copies only plain drawing
 * elements and attributes: no script, no event handlers, no links, no style attributes.
 */
export function safeSvg(markup: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length > 0) return null;
  const copy = (src: Element): SVGElement | null => {
    if (!ALLOWED_SVG.has(src.localName)) return null;
    const el = document.createElementNS(SVG_NS, src.localName);
    for (const a of Array.from(src.attributes)) {
      if (ALLOWED_SVG_ATTRS.has(a.name) && !/url\s*\(|javascript:/i.test(a.value))
        el.setAttribute(a.name, a.value);
    }
    for (const c of Array.from(src.childNodes)) {
      if (c.nodeType === Node.ELEMENT_NODE) {
        const k = copy(c as Element);
        if (k) el.appendChild(k);
      } else if (c.nodeType === Node.TEXT_NODE && (src.localName === 'title' || src.localName === 'desc')) {
        el.appendChild(document.createTextNode(c.textContent ?? ''));
      }
    }
    return el;
  };
  return copy(root) as SVGSVGElement | null;
}

/** Offers `content` as a file download (recovery codes, device bundles). */
export function download(name: string, content: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copies text to the clipboard; resolves false where the browser refuses (http, permissions). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
