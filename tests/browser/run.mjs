// Browser tests in headless Debian Chromium (playwright-core drives /usr/bin/chromium):
//   1. Swagger UI at /docs/ loads with no request leaving the service, lists every operation, and
//      "Try it out" on /analytics/agent shows a 200 with the fixture's numbers; opened by a host
//      name it shows no validator badge and no Explore bar, and descriptions render as written.
//   2. A page from another origin fetches /analytics/agent: allowed origin succeeds, another is
//      blocked by the browser (CORS).
//   3. The dashboard (API keys on): asks for the key, renders the fixture's tiles and the charts,
//      the comparison table, and pages through the messages table. Screenshots of each view.
// Started by scripts/browser-tests.sh, which runs the services on fixture.sql and sets:
//   OPEN_BASE (no keys, CORS allows ALLOWED_ORIGIN), KEYED_BASE + API_KEY, ALLOWED_PORT,
//   BLOCKED_PORT, ARTIFACTS (screenshot folder).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run scripts/browser-tests.sh)`);
  return value;
};
const OPEN_BASE = env("OPEN_BASE");
const KEYED_BASE = env("KEYED_BASE");
const API_KEY = env("API_KEY");
const ALLOWED_PORT = Number(env("ALLOWED_PORT"));
const BLOCKED_PORT = Number(env("BLOCKED_PORT"));
const ARTIFACTS = env("ARTIFACTS");
const AGENT = "browser-bot";
const VERSION = "1.0.0";
fs.mkdirSync(ARTIFACTS, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const results = [];
async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push([name, "passed", Date.now() - started]);
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push([name, "FAILED", Date.now() - started]);
    console.log(`FAIL  ${name}: ${error.stack || error}`);
  }
}

// A host name the browser resolves to the service (Swagger UI treats loopback names specially).
const DOCS_HOST = "analytics.internal";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    `--host-resolver-rules=MAP ${DOCS_HOST} 127.0.0.1`,
  ],
});

/** A page that records every request and console error. */
async function newPage(viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.requests = [];
  page.errors = [];
  page.on("request", (r) => page.requests.push(r.url()));
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  return page;
}

// ---- 1. Swagger UI -----------------------------------------------------------------------------
await scenario("Swagger UI loads offline, lists every operation, Try it out answers 200", async () => {
  const doc = await (await fetch(`${OPEN_BASE}/openapi.json`)).json();
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  const page = await newPage();
  await page.goto(`${OPEN_BASE}/docs/`, { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock", { timeout: 15000 });
  const shown = await page.locator(".opblock").count();
  check(shown === operations, `Swagger UI shows ${shown} operations, the document has ${operations}`);
  const outside = page.requests.filter((u) => !u.startsWith(OPEN_BASE) && !u.startsWith("data:"));
  check(outside.length === 0, `requests left the service: ${outside.join(", ")}`);

  const op = page.locator("#operations-analytics-agent_analytics");
  await op.locator(".opblock-summary").click();
  await op.locator(".try-out__btn").click();
  await op.locator('tr[data-param-name="agent_name"] input').fill(AGENT);
  await op.locator('tr[data-param-name="agent_version"] input').fill(VERSION);
  await op.locator('tr[data-param-name="days"] select').selectOption("7");
  await op.locator("button.execute").click();
  const status = op.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.innerText()).trim();
  check(code.startsWith("200"), `Try it out answered ${code}`);
  const body = await op.locator(".live-responses-table .response-col_description pre").first().innerText();
  for (const expected of ['"total_messages": 25', '"total_sessions": 5', '"total_users": 3', '"error_rate": 0.08']) {
    check(body.includes(expected), `response lacks ${expected}: ${body.slice(0, 400)}`);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, "swagger-try-it-out.png"), fullPage: false });
  check(page.errors.length === 0, `page errors: ${page.errors.join("; ")}`);
  await page.context().close();
});

// Opened by a host name (not localhost or 127.0.0.1, which Swagger UI never validates), it used to
// load a badge from validator.swagger.io that carried the internal spec URL.
await scenario("Swagger UI by host name: no validator badge, no Explore bar, descriptions as written", async () => {
  const base = OPEN_BASE.replace("127.0.0.1", DOCS_HOST);
  const page = await newPage();
  await page.goto(`${base}/docs/`, { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock", { timeout: 15000 });
  const outside = page.requests.filter((u) => !u.startsWith(base) && !u.startsWith("data:"));
  check(outside.length === 0, `requests left the service: ${outside.join(", ")}`);
  check((await page.locator(".validator-badge, img[src*='validator']").count()) === 0, "a validator badge is shown");
  check((await page.locator(".topbar, .download-url-input").count()) === 0, "the Explore bar is shown");
  const summaries = await page.locator(".opblock-summary-description").allInnerTexts();
  const literal = summaries.filter((t) => t.includes("`"));
  check(literal.length === 0, `summaries show backticks: ${literal.join(" | ")}`);
  const op = page.locator("#operations-analytics-agent_analytics");
  await op.locator(".opblock-summary").click();
  const days = op.locator('tr[data-param-name="days"] td.parameters-col_description');
  await days.first().waitFor({ timeout: 15000 });
  check((await days.locator("ol, ul").count()) === 0, "the days description renders as a list");
  const text = await days.first().innerText();
  check(text.includes("One of 1, 2, 7, 15 or 20"), `days description: ${text}`);
  await page.screenshot({ path: path.join(ARTIFACTS, "swagger-by-host-name.png"), fullPage: false });
  check(page.errors.length === 0, `page errors: ${page.errors.join("; ")}`);
  await page.context().close();
});

// ---- 2. Cross-origin fetch ---------------------------------------------------------------------
function servePage(port) {
  const html = `<!DOCTYPE html><title>frontend</title><pre id="out">pending</pre>
<script>
fetch(${JSON.stringify(`${OPEN_BASE}/analytics/agent?agent_name=${AGENT}&agent_version=${VERSION}&days=7`)})
  .then((r) => r.json())
  .then((j) => { document.getElementById("out").textContent = "ok " + j.metrics.total_messages; })
  .catch((e) => { document.getElementById("out").textContent = "blocked " + e.name; });
</script>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

await scenario("a page from an allowed origin reads /analytics/agent; another origin is blocked", async () => {
  const allowed = await servePage(ALLOWED_PORT);
  const blocked = await servePage(BLOCKED_PORT);
  try {
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${ALLOWED_PORT}/`);
    await page.waitForFunction(() => document.getElementById("out").textContent !== "pending");
    const okText = await page.locator("#out").innerText();
    check(okText === "ok 25", `allowed origin: ${okText}`);

    const other = await newPage();
    await other.goto(`http://127.0.0.1:${BLOCKED_PORT}/`);
    await other.waitForFunction(() => document.getElementById("out").textContent !== "pending");
    const blockedText = await other.locator("#out").innerText();
    check(blockedText === "blocked TypeError", `other origin: ${blockedText}`);
    check(other.errors.some((e) => /CORS|Access-Control-Allow-Origin/i.test(e)),
      `no CORS error reported by the browser: ${other.errors.join("; ")}`);
    console.log(`      allowed origin → "${okText}"; blocked origin → "${blockedText}"`);
    await page.context().close();
    await other.context().close();
  } finally {
    allowed.close();
    blocked.close();
  }
});

// ---- 3. Dashboard ------------------------------------------------------------------------------
const EXPECTED_TILES = {
  Sessions: "5",
  Messages: "25",
  Users: "3",
  Tokens: "2,960",
  Spend: "$0.0230",
  "Error rate": "8.0%",
  "p95 latency": "1,220ms",
};

// Every chart's y-axis labels (right-aligned texts) read differently: rounding must not repeat a tick.
async function checkAxisLabelsDistinct(page) {
  const axes = await page.$$eval("svg.chart-svg", (svgs) => svgs.map((svg) =>
    [...svg.querySelectorAll('text[text-anchor="end"]')].map((t) => t.textContent)));
  for (const labels of axes) {
    check(labels.length >= 2 && new Set(labels).size === labels.length, `y-axis labels repeat: ${labels.join(", ")}`);
  }
}

await scenario("dashboard: key prompt, tiles, charts, comparison, paging, screenshots", async () => {
  const page = await newPage();
  await page.goto(`${KEYED_BASE}/dashboard/`);
  // The API wants a key: the dashboard asks for it.
  await page.locator("#key-panel").waitFor({ state: "visible", timeout: 10000 });
  await page.fill("#key-input", API_KEY);
  await page.click('#key-panel button[type="submit"]');
  await page.waitForSelector('body[data-loaded="overview"]', { timeout: 15000 });

  await page.selectOption("#agent", AGENT);
  await page.selectOption("#version", VERSION);
  await page.selectOption("#days", "7");
  await page.waitForFunction(
    () => document.body.dataset.loaded === "overview" &&
      document.querySelector('.tile[data-metric="Messages"] .value')?.textContent === "25",
    null, { timeout: 15000 });
  const tiles = await page.$$eval(".tile", (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.metric, e.querySelector(".value").textContent])));
  for (const [label, value] of Object.entries(EXPECTED_TILES)) {
    check(tiles[label] === value, `tile ${label}: ${tiles[label]} (expected ${value})`);
  }
  for (const chart of ["sessions", "tokens", "spend", "errors"]) {
    const bars = await page.locator(`#chart-${chart} svg rect.bar`).count();
    check(bars >= 1, `chart ${chart} has ${bars} bars`);
  }
  await checkAxisLabelsDistinct(page);
  // No label may overlap another inside a chart.
  const overlaps = await page.$$eval("svg.chart-svg", (svgs) => svgs.map((svg) => {
    const boxes = [...svg.querySelectorAll("text")].map((t) => t.getBoundingClientRect());
    let n = 0;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) n++;
    }
    return n;
  }));
  check(overlaps.every((n) => n === 0), `overlapping chart labels: ${overlaps}`);
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-overview.png"), fullPage: true });

  // The last 24 hours: the same totals (every fixture row is younger), charted per hour.
  await page.selectOption("#days", "1");
  await page.waitForFunction(
    () => document.body.dataset.loaded === "overview" &&
      document.querySelector("#chart-sessions").previousElementSibling.textContent.startsWith("Sessions per hour"),
    null, { timeout: 15000 });
  const messages24h = await page.locator('.tile[data-metric="Messages"] .value').innerText();
  check(messages24h === "25", `24 h messages tile: ${messages24h}`);
  const hourlyBars = await page.locator("#chart-sessions svg rect.bar").count();
  check(hourlyBars >= 12, `hourly sessions chart has ${hourlyBars} bars`);
  await checkAxisLabelsDistinct(page);
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-overview-24h.png"), fullPage: true });

  await page.click('nav.tabs a[data-view="compare"]');
  await page.waitForSelector('body[data-loaded="compare"]', { timeout: 15000 });
  const header = await page.$$eval("#compare-table th", (ths) => ths.map((t) => t.textContent));
  check(header.includes("1.0.0 (baseline)") && header.includes("2.0.0"), `compare header: ${header}`);
  const requestsRow = await page.$$eval("#compare-table tr", (trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent)).find((r) => r[0] === "Requests"));
  check(requestsRow[1] === "25" && requestsRow[2].startsWith("5 (-80.0 %)"), `requests row: ${requestsRow}`);
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-compare.png"), fullPage: true });

  await page.click('nav.tabs a[data-view="activity"]');
  await page.waitForSelector('body[data-loaded="activity"]', { timeout: 15000 });
  const messages = () => page.$$eval("#messages-table tr", (trs) =>
    trs.slice(1).map((tr) => tr.children[3]?.textContent));
  const first = await messages();
  check(first.length === 10 && first[0] === "Reply number 1", `page 1: ${first}`);
  const next = page.locator('#messages-pager [data-dir="next"]');
  const prev = page.locator('#messages-pager [data-dir="prev"]');
  check(await prev.isDisabled(), "Newer is disabled on the first page");
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-activity.png"), fullPage: true });
  await next.click();
  await page.waitForFunction(() => document.querySelector("#messages-pager .page-label").textContent === "Page 2");
  const second = await messages();
  check(second.length === 10 && second[0] === "Reply number 11", `page 2: ${second}`);
  await next.click();
  await page.waitForFunction(() => document.querySelector("#messages-pager .page-label").textContent === "Page 3");
  const third = await messages();
  check(third.length === 3 && third[0] === "Reply number 21" && (await next.isDisabled()), `page 3: ${third}`);
  await prev.click();
  await page.waitForFunction(() => document.querySelector("#messages-pager .page-label").textContent === "Page 2");
  check((await messages())[0] === "Reply number 11", "back to page 2");
  const sessions = await page.$$eval("#sessions-table tr", (trs) => trs.length - 1);
  check(sessions === 5, `sessions table rows: ${sessions}`);
  const outside = page.requests.filter((u) => !u.startsWith(KEYED_BASE));
  check(outside.length === 0, `requests left the service: ${outside.join(", ")}`);
  check(page.errors.filter((e) => !/401/.test(e)).length === 0, `page errors: ${page.errors.join("; ")}`);
  await page.context().close();
});

await browser.close();
const failed = results.filter((r) => r[1] !== "passed").length;
console.log(`browser tests: ${results.length - failed} passed, ${failed} failed; screenshots in ${ARTIFACTS}`);
process.exit(failed ? 1 : 0);
