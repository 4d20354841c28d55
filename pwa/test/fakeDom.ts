/**
 * A DOM just large enough for Preact to render into under node: elements with attributes,
 * listeners and children, text nodes, and a document that makes them. A render test reads the
 * markup back by data-testid and fires events at it; layout, styles and selectors are left out.
 */
const XHTML = 'http://www.w3.org/1999/xhtml';

type Listener = (this: FakeNode, e: FakeEvent) => void;

export interface FakeEvent {
  type: string;
  currentTarget: FakeNode;
  target: FakeNode;
  defaultPrevented: boolean;
  preventDefault(): void;
  stopPropagation(): void;
}

export class FakeNode {
  parentNode: FakeNode | null = null;
  childNodes: FakeNode[] = [];
  attributes = new Map<string, string>();
  listeners = new Map<string, Listener>();
  style = { cssText: '', setProperty() {} };
  namespaceURI = XHTML;
  data = '';
  /** Form controls' own properties, which Preact sets as properties (as a browser has them). */
  value = '';
  disabled = false;

  constructor(
    public nodeType: 1 | 3,
    public localName: string | undefined,
    public ownerDocument: FakeDocument,
  ) {}

  get firstChild(): FakeNode | null {
    return this.childNodes[0] ?? null;
  }

  get nextSibling(): FakeNode | null {
    const siblings = this.parentNode?.childNodes ?? [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }

  get textContent(): string {
    return this.nodeType === 3 ? this.data : this.childNodes.map((c) => c.textContent).join('');
  }

  set textContent(text: string) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = text ? [this.ownerDocument.createTextNode(text)] : [];
  }

  insertBefore(node: FakeNode, ref: FakeNode | null): FakeNode {
    node.remove();
    const at = ref ? this.childNodes.indexOf(ref) : -1;
    if (at < 0) this.childNodes.push(node);
    else this.childNodes.splice(at, 0, node);
    node.parentNode = this;
    return node;
  }

  appendChild(node: FakeNode): FakeNode {
    return this.insertBefore(node, null);
  }

  removeChild(node: FakeNode): FakeNode {
    node.remove();
    return node;
  }

  remove(): void {
    if (!this.parentNode) return;
    this.parentNode.childNodes.splice(this.parentNode.childNodes.indexOf(this), 1);
    this.parentNode = null;
  }

  setAttribute(name: string, value: unknown): void {
    this.attributes.set(name, String(value));
  }

  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, fn);
  }

  removeEventListener(type: string): void {
    this.listeners.delete(type);
  }

  /** Every element under this one (itself included) that `match` accepts, in document order. */
  findAll(match: (n: FakeNode) => boolean): FakeNode[] {
    const out: FakeNode[] = [];
    const walk = (n: FakeNode) => {
      if (n.nodeType === 1 && match(n)) out.push(n);
      n.childNodes.forEach(walk);
    };
    walk(this);
    return out;
  }

  byTestId(id: string): FakeNode[] {
    return this.findAll((n) => n.getAttribute('data-testid') === id);
  }

  /** The one element with this data-testid; throws when there is none or several. */
  one(id: string): FakeNode {
    const found = this.byTestId(id);
    if (found.length !== 1) throw new Error(`${found.length} elements with data-testid=${id}`);
    return found[0]!;
  }

  /** Fires `type` at this element's own listener (events do not bubble here); answers the event. */
  fire(type: string): FakeEvent {
    const e: FakeEvent = {
      type,
      currentTarget: this,
      target: this,
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
      stopPropagation() {},
    };
    this.listeners.get(type)?.call(this, e);
    return e;
  }
}

export class FakeDocument {
  createElementNS(_ns: string, name: string): FakeNode {
    return new FakeNode(1, name, this);
  }

  createTextNode(text: string): FakeNode {
    const n = new FakeNode(3, undefined, this);
    n.data = String(text);
    return n;
  }
}

/** A root element to render into. */
export function fakeRoot(): FakeNode {
  return new FakeNode(1, 'div', new FakeDocument());
}
