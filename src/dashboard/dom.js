// @ts-check
// Small DOM and formatting helpers of the dashboard. Text goes in as text, never as HTML.

/**
 * The page's element with this id (the page is fixed, so a missing one is a bug).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * The token field of the login form.
 * @returns {HTMLInputElement}
 */
export function tokenInput() {
  return /** @type {HTMLInputElement} */ ($("token"));
}

/**
 * An element with attributes (`text` sets its text, `cls` its class) and children.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string | null)[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "cls") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

/**
 * Removes every child of `node`.
 * @param {Node} node
 */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * A status badge, coloured by its `s-<status>` class.
 * @param {string} status
 */
export function pill(status) {
  return el("span", { cls: `pill s-${status}`, text: status });
}

/**
 * A number with `digits` decimals, or "–" when there is none.
 * @param {number | null | undefined} n
 * @param {number} digits
 */
export function fmt(n, digits) {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

/**
 * Milliseconds: one decimal below 10, whole above, "–" when unknown.
 * @param {number | null | undefined} n
 */
export function ms(n) {
  if (n === null || n === undefined) return "–";
  return n < 10 ? n.toFixed(1) : Math.round(n).toString();
}

/**
 * The local time of an ISO timestamp, or "" when it is not one.
 * @param {string} iso
 */
export function time(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString();
}
