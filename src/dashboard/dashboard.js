// The built-in dashboard: a client of the public API only (same origin), no dependencies.
// Charts are SVG drawn here. The API key, when the server wants one, lives in sessionStorage.
"use strict";

const KEY_STORAGE = "litellm-analytics-api-key";
const PAGE_SIZE = 10;
const SVG_NS = "http://www.w3.org/2000/svg";

const state = {
  catalog: [],
  agent: null,
  version: null,
  days: 7,
  view: "overview",
  pages: { messages: [null], sessions: [null] }, // cursor stack per table; [0] = first page
  pageIndex: { messages: 0, sessions: 0 },
};

const $ = (id) => document.getElementById(id);
const fmtInt = new Intl.NumberFormat("en-US");
const fmtDec = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---- API ----------------------------------------------------------------------------------

class AuthNeeded extends Error {}

async function api(path) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { headers });
  if (response.status === 401) throw new AuthNeeded("API key required");
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    const error = new Error(`${response.status}: ${detail}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function query(extra = {}) {
  const params = new URLSearchParams({
    agent_name: state.agent,
    agent_version: state.version,
    days: String(state.days),
    ...extra,
  });
  return params.toString();
}

function setStatus(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function showKeyPanel(message = "") {
  $("key-panel").hidden = false;
  $("key-error").textContent = message;
  $("key-input").focus();
}

async function guarded(task) {
  try {
    await task();
  } catch (error) {
    if (error instanceof AuthNeeded) {
      const hadKey = Boolean(sessionStorage.getItem(KEY_STORAGE));
      showKeyPanel(hadKey ? "That key was not accepted." : "");
      setStatus("Waiting for an API key", true);
    } else {
      setStatus(error.message, true);
    }
  }
}

// ---- pickers ------------------------------------------------------------------------------

async function loadCatalog() {
  const catalog = await api(`/agents?days=20`);
  state.catalog = catalog.agents;
  const agentSelect = $("agent");
  agentSelect.replaceChildren(...state.catalog.map((a) => new Option(`${a.agent_name} (${fmtInt.format(a.requests)})`, a.agent_name)));
  if (!state.catalog.length) {
    setStatus("No agents with requests in the last 20 days.");
    return false;
  }
  const wanted = new URLSearchParams(location.search).get("agent");
  state.agent = state.catalog.some((a) => a.agent_name === wanted) ? wanted : state.catalog[0].agent_name;
  agentSelect.value = state.agent;
  fillVersions();
  return true;
}

function fillVersions() {
  const agent = state.catalog.find((a) => a.agent_name === state.agent);
  const versions = agent ? agent.versions : [];
  $("version").replaceChildren(...versions.map((v) => new Option(`${v.agent_version} (${fmtInt.format(v.requests)})`, v.agent_version)));
  const wanted = new URLSearchParams(location.search).get("version");
  state.version = versions.some((v) => v.agent_version === wanted) ? wanted : versions.length ? versions[0].agent_version : null;
  $("version").value = state.version;
}

// ---- overview -----------------------------------------------------------------------------

function tile(label, value, unit = "") {
  const div = document.createElement("div");
  div.className = "tile";
  div.dataset.metric = label;
  const l = document.createElement("div");
  l.className = "label";
  l.textContent = label;
  const v = document.createElement("div");
  v.className = "value";
  v.textContent = value;
  if (unit) {
    const u = document.createElement("span");
    u.className = "unit";
    u.textContent = unit;
    v.append(u);
  }
  div.append(l, v);
  return div;
}

async function loadOverview() {
  const q = query();
  // A day or two reads better per hour.
  const unit = state.days <= 2 ? "hour" : "day";
  const series = query({ granularity: unit });
  const [summary, totals, timeline, tokens, latency] = await Promise.all([
    api(`/analytics/agent?${q}`),
    api(`/total-tokens?${q}`),
    api(`/activitytimeline?${series}`),
    api(`/tokens-usage?${series}`),
    api(`/latency?${q}`),
  ]);
  document.querySelectorAll("#view-overview .per").forEach((el) => (el.textContent = unit));
  const hourly = unit === "hour";
  const m = summary.metrics;
  const p95 = latency.overall.duration.p95_ms;
  $("tiles").replaceChildren(
    tile("Sessions", fmtInt.format(m.total_sessions)),
    tile("Messages", fmtInt.format(m.total_messages)),
    tile("Users", fmtInt.format(m.total_users)),
    tile("Tokens", totals.total_tokens >= 1e6 ? fmtDec(2).format(totals.total_tokens / 1e6) : fmtInt.format(totals.total_tokens), totals.total_tokens >= 1e6 ? "M" : ""),
    tile("Spend", "$" + fmtDec(m.total_spend < 1 ? 4 : 2).format(m.total_spend)),
    tile("Error rate", m.error_rate === null ? "–" : fmtDec(1).format(m.error_rate * 100), m.error_rate === null ? "" : "%"),
    tile("p95 latency", p95 === null ? "–" : fmtInt.format(Math.round(p95)), p95 === null ? "" : "ms"),
  );
  barChart($("chart-sessions"), timeline.daily_sessions, {
    series: [{ key: "sessions", cls: "" }],
    anomaly: "anomaly",
    format: (v) => fmtInt.format(v),
    integer: true,
    hourly,
  });
  barChart($("chart-tokens"), tokens.daily_tokens, {
    series: [{ key: "prompt_tokens", cls: "" }, { key: "completion_tokens", cls: "completion" }],
    anomaly: "anomaly",
    format: compact,
    integer: true,
    hourly,
  });
  barChart($("chart-spend"), tokens.daily_tokens, {
    series: [{ key: "spend", cls: "" }],
    // Axis ticks (given their step) get the decimals the step needs, so no two read the same.
    format: (v, step) => (v === 0 ? "$0" : "$" + fmtDec(step === undefined ? (v < 1 ? 4 : 2) : Math.max(2, decimalsOf(step))).format(v)),
    hourly,
  });
  barChart($("chart-errors"), timeline.daily_sessions, {
    series: [{ key: "failed_requests", cls: "errors" }],
    anomaly: "error_anomaly",
    format: (v) => fmtInt.format(v),
    integer: true,
    hourly,
  });
}

function compact(v) {
  if (v >= 1e6) return fmtDec(1).format(v / 1e6) + "M";
  if (v >= 1e4) return fmtInt.format(Math.round(v / 1e3)) + "k";
  return fmtInt.format(v);
}

/** The fewest decimals that show `step` exactly (0.0005 → 4, 2.5 → 1, 20 → 0). */
function decimalsOf(step) {
  for (let d = 0; d < 8; d++) {
    const scaled = step * Math.pow(10, d);
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return d;
  }
  return 8;
}

/** "Nice" upper bound and step for an axis from 0 to max. */
function niceScale(max, integer) {
  if (!(max > 0)) return integer ? { top: 4, step: 1 } : { top: 1, step: 0.25 };
  const rough = max / 4;
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  let step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough);
  if (integer) step = Math.max(1, Math.ceil(step));
  return { top: step * Math.ceil(max / step), step };
}

function svgEl(name, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Stacked bars per bucket, y axis with 4 gridlines, dates below, anomaly markers above. */
function barChart(container, points, { series, anomaly, format, integer = false, hourly = false }) {
  const width = 560, height = 240;
  const left = 66, right = 10, top = 18, bottom = 30;
  const plotW = width - left - right, plotH = height - top - bottom;
  const totals = points.map((p) => series.reduce((sum, s) => sum + (p[s.key] || 0), 0));
  const { top: yTop, step } = niceScale(Math.max(0, ...totals), integer);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart-svg", role: "img" });
  for (let v = 0; v <= yTop + step / 2; v += step) {
    const y = top + plotH - (v / yTop) * plotH;
    svg.append(svgEl("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    svg.append(svgEl("text", { x: left - 8, y: y + 4, "text-anchor": "end" }, format(v, step)));
  }
  const slot = plotW / Math.max(points.length, 1);
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const labelEvery = Math.ceil(points.length / Math.floor(plotW / 60));
  points.forEach((p, i) => {
    const x = left + slot * i + (slot - barW) / 2;
    let base = top + plotH;
    for (const s of series) {
      const h = ((p[s.key] || 0) / yTop) * plotH;
      if (h > 0) {
        const rect = svgEl("rect", { x, y: base - h, width: barW, height: h, class: `bar ${s.cls}`.trim() });
        rect.append(svgEl("title", {}, `${p.bucket_start}: ${format(p[s.key])} ${s.key.replace(/_/g, " ")}`));
        svg.append(rect);
        base -= h;
      }
    }
    if (i % labelEvery === 0) {
      // Hourly buckets show their hour (midnight shows the date), daily ones the date.
      const hour = p.bucket_start.slice(11, 16);
      const label = hourly && hour !== "00:00" ? hour : p.date.slice(5);
      svg.append(svgEl("text", { x: x + barW / 2, y: height - 10, "text-anchor": "middle" }, label));
    }
    if (anomaly && p[anomaly]) {
      const cx = x + barW / 2, cy = Math.max(top + 2, base - 8);
      const marker = svgEl("path", { d: `M ${cx - 6} ${cy - 10} L ${cx + 6} ${cy - 10} L ${cx} ${cy} Z`, class: "anomaly", "data-anomaly": p[anomaly] });
      marker.append(svgEl("title", {}, `${p.bucket_start}: ${p[anomaly]}`));
      svg.append(marker);
    }
  });
  container.replaceChildren(svg);
}

// ---- compare ------------------------------------------------------------------------------

const COMPARE_ROWS = [
  ["requests", "Requests", (v) => fmtInt.format(v), true],
  ["sessions", "Sessions", (v) => fmtInt.format(v), true],
  ["users", "Users", (v) => fmtInt.format(v), true],
  ["error_rate", "Error rate", (v) => fmtDec(1).format(v * 100) + " %", false],
  ["total_spend", "Spend (USD)", (v) => "$" + fmtDec(4).format(v), null],
  ["spend_per_request", "Spend per request", (v) => "$" + fmtDec(5).format(v), false],
  ["total_tokens", "Tokens", (v) => fmtInt.format(v), null],
  ["latency_p50_ms", "Latency p50", (v) => fmtInt.format(Math.round(v)) + " ms", false],
  ["latency_p95_ms", "Latency p95", (v) => fmtInt.format(Math.round(v)) + " ms", false],
  ["latency_p99_ms", "Latency p99", (v) => fmtInt.format(Math.round(v)) + " ms", false],
  ["ttft_p50_ms", "Time to first token p50", (v) => fmtInt.format(Math.round(v)) + " ms", false],
];

async function loadCompare() {
  const agent = state.catalog.find((a) => a.agent_name === state.agent);
  const others = agent.versions.map((v) => v.agent_version).filter((v) => v !== state.version);
  const versions = [state.version, ...others].slice(0, 10);
  const params = new URLSearchParams({ agent_name: state.agent, versions: versions.join(","), days: String(state.days) });
  const result = await api(`/agents/compare?${params}`);
  const table = $("compare-table");
  const head = document.createElement("tr");
  head.append(th("Metric"), ...result.versions.map((v, i) => th(i === 0 ? `${v.agent_version} (baseline)` : v.agent_version, "num")));
  const rows = COMPARE_ROWS.map(([key, label, format, higherIsBetter]) => {
    const tr = document.createElement("tr");
    tr.append(td(label));
    result.versions.forEach((v, i) => {
      const cell = td(v[key] === null || v[key] === undefined ? "–" : format(v[key]), "num");
      const rel = v.relative_to_first ? v.relative_to_first[key] : null;
      if (i > 0 && rel !== null && rel !== undefined) {
        const span = document.createElement("span");
        const better = higherIsBetter === null ? null : (rel > 0) === higherIsBetter;
        span.className = "delta " + (rel === 0 || better === null ? "flat" : better ? "up" : "down");
        span.textContent = ` (${rel > 0 ? "+" : ""}${fmtDec(1).format(rel * 100)} %)`;
        cell.append(span);
      }
      tr.append(cell);
    });
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

function th(text, cls = "") {
  const el = document.createElement("th");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function td(text, cls = "") {
  const el = document.createElement("td");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

// ---- messages and sessions ----------------------------------------------------------------

function when(timestamp) {
  return timestamp.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}

const TABLES = {
  messages: {
    path: "/recentmessages",
    list: "messages",
    columns: [
      ["Time", (r) => when(r.timestamp)],
      ["Session", (r) => r.session_id || "–"],
      ["Model", (r) => r.model_name],
      ["Message", (r) => (r.message === null ? `(hidden, ${r.message_length} characters)` : r.message), "msg"],
    ],
  },
  sessions: {
    path: "/sessions",
    list: "sessions",
    columns: [
      ["Session", (r) => r.session_id],
      ["User", (r) => r.user_id || "–"],
      ["Last seen", (r) => when(r.last_seen)],
      ["Requests", (r) => fmtInt.format(r.requests), "num"],
      ["Failed", (r) => fmtInt.format(r.failed), "num"],
      ["Tokens", (r) => fmtInt.format(r.total_tokens), "num"],
      ["Spend", (r) => "$" + fmtDec(4).format(r.spend), "num"],
      ["Models", (r) => r.models.join(", ")],
    ],
  },
};

async function loadTable(name) {
  const spec = TABLES[name];
  const index = state.pageIndex[name];
  const cursor = state.pages[name][index];
  const extra = { limit: String(PAGE_SIZE) };
  if (cursor) extra.cursor = cursor;
  const result = await api(`${spec.path}?${query(extra)}`);
  const rows = result[spec.list];
  const table = $(`${name}-table`);
  const head = document.createElement("tr");
  head.append(...spec.columns.map(([label, , cls]) => th(label, cls === "num" ? "num" : "")));
  const body = rows.map((r) => {
    const tr = document.createElement("tr");
    tr.append(...spec.columns.map(([, value, cls]) => td(value(r), cls || "")));
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    // An agent whose replies LiteLLM did not store: say why instead of "nothing".
    const cell = td(result.content_stored === false ? result.content_note : "Nothing in this range.", "empty");
    cell.colSpan = spec.columns.length;
    tr.append(cell);
    body.push(tr);
  }
  table.replaceChildren(head, ...body);
  state.pages[name][index + 1] = result.next_cursor;
  const pager = $(`${name}-pager`);
  pager.querySelector('[data-dir="prev"]').disabled = index === 0;
  pager.querySelector('[data-dir="next"]').disabled = !result.next_cursor;
  pager.querySelector(".page-label").textContent = `Page ${index + 1}`;
}

function resetPaging() {
  state.pages = { messages: [null], sessions: [null] };
  state.pageIndex = { messages: 0, sessions: 0 };
}

// ---- wiring -------------------------------------------------------------------------------

async function refresh() {
  if (!state.agent || !state.version) return;
  setStatus("Loading…");
  const started = performance.now();
  if (state.view === "overview") await loadOverview();
  if (state.view === "compare") await loadCompare();
  if (state.view === "activity") await Promise.all([loadTable("messages"), loadTable("sessions")]);
  setStatus(`Updated ${new Date().toLocaleTimeString("en-GB")} · ${Math.round(performance.now() - started)} ms`);
  document.body.dataset.loaded = state.view;
}

function showView(view) {
  state.view = ["overview", "compare", "activity"].includes(view) ? view : "overview";
  for (const name of ["overview", "compare", "activity"]) {
    $(`view-${name}`).hidden = name !== state.view;
  }
  document.querySelectorAll("nav.tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === state.view));
  delete document.body.dataset.loaded;
}

async function start() {
  showView(location.hash.slice(1));
  if (await loadCatalog()) await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("agent").addEventListener("change", (e) => {
    state.agent = e.target.value;
    fillVersions();
    resetPaging();
    guarded(refresh);
  });
  $("version").addEventListener("change", (e) => {
    state.version = e.target.value;
    resetPaging();
    guarded(refresh);
  });
  $("days").addEventListener("change", (e) => {
    state.days = Number(e.target.value);
    resetPaging();
    guarded(refresh);
  });
  window.addEventListener("hashchange", () => {
    showView(location.hash.slice(1));
    guarded(refresh);
  });
  for (const name of ["messages", "sessions"]) {
    $(`${name}-pager`).addEventListener("click", (e) => {
      const dir = e.target.dataset && e.target.dataset.dir;
      if (!dir) return;
      state.pageIndex[name] += dir === "next" ? 1 : -1;
      guarded(() => loadTable(name));
    });
  }
  $("key-button").addEventListener("click", () => showKeyPanel());
  $("key-panel").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("key-input").value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    $("key-panel").hidden = true;
    guarded(start);
  });
  state.days = Number($("days").value);
  guarded(start);
});
