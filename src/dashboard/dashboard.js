// @ts-check
// The dashboard at /_mesh/ui: asks for a token with mesh:read, keeps it in sessionStorage, and
// every 3 s reads /stats, /events and /logs. Rates, error ratios and p50/p99 are computed from the
// difference between the newest reading and one up to a minute older (histogram buckets, as
// Prometheus' histogram_quantile does). Everything from the API is rendered with textContent: log
// paths are attacker-controlled. The page's CSP allows only this file's origin for scripts and
// styles, so nothing here sets inline styles: looks come from classes in dashboard.css.
import { $, tokenInput } from "./dom.js";
import { traffic } from "./readings.js";
import { renderCards, renderEvents, renderLogs, renderServices } from "./render.js";

/** @typedef {import("./readings.js").Reading} Reading */

const KEY = "flaremesh.token";
const API = "/_mesh/api/v1";
const REFRESH_MS = 3000;
const WINDOW_MS = 60000;
/** @type {Reading[]} */
let history = [];
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;

/** An API answer that means the token is no good: the page asks for another. */
class AuthError extends Error {}

/**
 * @param {string} text
 * @param {boolean} [isError]
 */
function banner(text, isError = false) {
  const b = $("banner");
  if (!text) {
    b.classList.add("hidden");
    return;
  }
  b.textContent = text;
  b.className = `banner${isError ? " error" : ""}`;
}

/** @param {string} message */
function showLogin(message) {
  stop();
  $("dash").classList.add("hidden");
  $("signout").classList.add("hidden");
  $("login").classList.remove("hidden");
  banner(message, true);
  tokenInput().focus();
}

function showDash() {
  $("login").classList.add("hidden");
  $("dash").classList.remove("hidden");
  $("signout").classList.remove("hidden");
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
async function get(path) {
  const res = await fetch(API + path, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
    cache: "no-store",
  });
  if (res.status === 401) throw new AuthError("The token was rejected (expired or invalid). Paste a new one.");
  if (res.status === 403) throw new AuthError("The token lacks the mesh:read scope.");
  if (!res.ok) throw new Error(`${path} answered HTTP ${res.status}`);
  return res.json();
}

async function refresh() {
  try {
    const [stats, events, logs] = await Promise.all([get("/stats"), get("/events?limit=30"), get("/logs?limit=50")]);
    const now = Date.now();
    history.push({ t: now, traffic: traffic(stats) });
    while (history.length > 2 && now - (history[1]?.t ?? now) >= WINDOW_MS) history.shift();
    showDash();
    banner("");
    renderCards(stats, history);
    renderServices(stats, history);
    renderEvents(events.events);
    renderLogs(logs.logs);
    $("updated").textContent = `updated ${new Date(now).toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
    document.body.setAttribute("data-refreshed", String(now));
  } catch (err) {
    if (err instanceof AuthError) {
      sessionStorage.removeItem(KEY);
      showLogin(err.message);
      return;
    }
    banner(`Could not reach the mesh: ${err instanceof Error ? err.message : String(err)} — retrying.`, true);
  }
}

function schedule() {
  stop();
  timer = setTimeout(() => {
    refresh().then(() => {
      if (timer !== null) schedule();
    });
  }, REFRESH_MS);
}

function stop() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

function start() {
  history = [];
  refresh().then(() => {
    if (sessionStorage.getItem(KEY)) schedule();
  });
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = tokenInput()
    .value.trim()
    .replace(/^Bearer\s+/i, "");
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  tokenInput().value = "";
  start();
});
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  showLogin("");
});

/**
 * A ready link (`/_mesh/ui#token=…`, as `npm start` prints) logs in once:
 * the token is read from the fragment, which never reaches the server,
 * moved to sessionStorage and removed from the address bar and history.
 */
function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token === null) return;
  window.history.replaceState(null, "", location.pathname + location.search);
  if (token.trim() !== "") sessionStorage.setItem(KEY, token.trim());
}

tokenFromFragment();
if (sessionStorage.getItem(KEY)) start();
else showLogin("");
