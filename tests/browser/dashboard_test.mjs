// End-to-end check of the web dashboard as a user sees it: starts
// `squall run` with its HTTP server on a free loopback port, opens the page in
// Debian's headless chromium through playwright-core, and checks the tables,
// the charts, the window aggregates, the active alerts, a live update and
// sorting.
//
//   node tests/browser/dashboard_test.mjs <path-to-squall> <artifact-dir>
//
// playwright-core is resolved from the web folder's node_modules: $SQUALL_WEB_DIR,
// or ../../web relative to this file.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const STARTUP_TIMEOUT_MS = 60_000;
const UI_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const MAX_LOG_CHARS = 256 * 1024;
// A rule every simulated observation meets (and none clears: no temperature
// is below -100 °C), so each city has an active alert for the panel to show.
const ALERT_RULE = { name: 'browser-check', condition: 'temp_c > -100' };
// Set explicitly so the selector's options do not depend on squall's defaults;
// listed shortest first, the order the selector shows them in.
const WINDOW_SIZES = ['1h', '1d'];
const REFERENCE_CITIES = [
  { id: '4887398', name: 'Chicago' },
  { id: '4164138', name: 'Miami' },
  { id: '5391959', name: 'San Francisco' },
];

function loadPlaywright() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const webDir = process.env.SQUALL_WEB_DIR ?? path.resolve(here, '../../web');
  const require = createRequire(path.join(webDir, 'package.json'));
  try {
    return require('playwright-core');
  } catch (error) {
    throw new Error(`playwright-core not found under ${webDir}/node_modules (run \`npm ci\` there): ${error.message}`);
  }
}

// ------------------------------------------------------------------ squall

function startSquall(binary, dataDir) {
  // The test must not pick up a developer's configuration (SQUALL_* settings).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SQUALL_')));
  env.SQUALL_WINDOWS_SIZES = WINDOW_SIZES.join(',');
  env.SQUALL_ALERTS_RULES = `${ALERT_RULE.name}: ${ALERT_RULE.condition}`;
  const args = ['run', '--data-dir', dataDir, '--cities', '10', '--rate', '50', '--listen', '127.0.0.1:0'];
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const squall = { child, stderr: '', exit: null };
  squall.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve((squall.exit = signal ? `signal ${signal}` : `code ${code}`)));
    child.on('error', (error) => resolve((squall.exit = `spawn error: ${error.message}`)));
  });
  // Its stdout is not needed, but an undrained pipe would eventually block it.
  child.stdout.resume();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    squall.stderr = (squall.stderr + chunk).slice(-MAX_LOG_CHARS);
  });
  return squall;
}

async function waitForUrl(squall) {
  const pattern = /serving dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const match = pattern.exec(squall.stderr);
    if (match) return match[1];
    if (squall.exit) throw new Error(`squall exited (${squall.exit}) before serving; stderr:\n${squall.stderr}`);
    await sleep(100);
  }
  throw new Error(`squall did not report its URL within ${STARTUP_TIMEOUT_MS / 1000} s; stderr:\n${squall.stderr}`);
}

async function exitsWithin(squall, ms) {
  const timeout = sleep(ms, false, { ref: false });
  return Promise.race([squall.exited.then(() => true), timeout]);
}

async function stopSquall(squall) {
  if (squall.exit) return;
  squall.child.kill('SIGINT');
  if (await exitsWithin(squall, STOP_TIMEOUT_MS)) return;
  console.error(`squall ignored SIGINT for ${STOP_TIMEOUT_MS / 1000} s; killing it`);
  squall.child.kill('SIGKILL');
  await exitsWithin(squall, 5_000);
}

// -------------------------------------------------------------------- page

// page.waitForFunction with a message that says what was awaited and what the
// page's status line showed, instead of a bare timeout.
async function waitUntil(page, what, predicate, arg) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: UI_TIMEOUT_MS, polling: 200 });
  } catch (error) {
    const status = await page.locator('#status').textContent().catch(() => null);
    throw new Error(`timed out after ${UI_TIMEOUT_MS / 1000} s waiting for ${what}` +
      (status ? ` (page status: ${status.trim()})` : '') + `\n${error.message.split('\n')[0]}`);
  }
}

function latestRows(page) {
  return page.$$eval('#latest-table tbody tr', (rows) => rows.map((row) => ({
    id: row.dataset.cityId,
    city: row.querySelector('td[data-col="city"]')?.textContent,
    temp: Number(row.querySelector('td[data-col="temp_c"]')?.textContent.replace(/,/g, '')),
  })));
}

async function checkReferenceCitiesFirst(page) {
  await waitUntil(page, 'rows for Chicago, Miami and San Francisco', (names) => {
    const shown = [...document.querySelectorAll('#latest-table tbody td[data-col="city"]')].map((td) => td.textContent);
    return names.every((name) => shown.includes(name));
  }, REFERENCE_CITIES.map((c) => c.name));
  const rows = await latestRows(page);
  assert.deepEqual(rows.slice(0, 3).map((r) => ({ id: r.id, city: r.city })), REFERENCE_CITIES.map((c) => ({ id: c.id, city: c.name })),
    'the first three rows of the latest-weather table');
  return `latest table lists ${rows.length} cities, Chicago, Miami, San Francisco first`;
}

// Each chart, with the colour of the series whose pixels prove it was painted
// (the strokes in app.js's CHART_SPECS). Axes and grid are grey, and the
// other series of a chart differ from these by far more than COLOUR_TOLERANCE.
const CHARTS = [
  { name: 'temperature', element: 'chart-temperature', series: 'temp °C', rgb: [0xd9, 0x4f, 0x3d] },
  { name: 'wind', element: 'chart-wind', series: 'speed m/s', rgb: [0x2f, 0x6f, 0xb0] },
  { name: 'humidity', element: 'chart-humidity', series: 'humidity %', rgb: [0x3f, 0x9b, 0x5a] },
];
const COLOUR_TOLERANCE = 40; // per channel: room for antialiasing, not for a neighbouring series
const MIN_SERIES_PIXELS = 20;

async function waitForChartData(page, chart, city) {
  await waitUntil(page, `the ${chart.name} chart of ${city} to hold at least 2 points of ${chart.series}`, ({ name, element, series, city }) => {
    const uplot = window.squallDashboard?.charts?.[name];
    const index = uplot?.series.findIndex((s) => s.label === series);
    return document.getElementById('charts-city')?.textContent === city &&
      document.querySelector(`#${element} canvas`) !== null &&
      index > 0 && uplot.data?.[0]?.length >= 2 && uplot.data[index].filter((v) => v !== null).length >= 2;
  }, { ...chart, city });
}

async function waitForChartPixels(page, chart) {
  await waitUntil(page, `the ${chart.series} series to be painted on the ${chart.name} chart's canvas`, ({ element, rgb, tolerance, minimum }) => {
    const canvas = document.querySelector(`#${element} canvas`);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let seriesPixels = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const close = rgb.every((channel, c) => Math.abs(pixels[i + c] - channel) <= tolerance);
      if (close && pixels[i + 3] > 128) seriesPixels += 1;
    }
    return seriesPixels >= minimum;
  }, { ...chart, tolerance: COLOUR_TOLERANCE, minimum: MIN_SERIES_PIXELS });
}

// A chart must hold data for the selected city and have painted it.
async function checkChart(page, chart, city) {
  await waitForChartData(page, chart, city);
  await waitForChartPixels(page, chart);
  const points = await page.evaluate((name) => window.squallDashboard.charts[name].data[0].length, chart.name);
  return `${chart.name} chart of ${city} drawn with ${points} points`;
}

async function checkCharts(page, city) {
  const drawn = [];
  for (const chart of CHARTS) drawn.push(await checkChart(page, chart, city));
  return drawn.join('; ');
}

// ---------------------------------------------------------- window aggregates

function windowRows(page) {
  return page.$$eval('#windows-table tbody tr', (rows) => rows.map((row) => {
    const cells = [...row.cells].map((cell) => cell.textContent);
    return {
      cells: cells.length,
      // The table shows UTC as "YYYY-MM-DD HH:MM:SS".
      start: Date.parse(`${cells[0]?.replace(' ', 'T')}Z`),
      end: Date.parse(`${cells[1]?.replace(' ', 'T')}Z`),
      count: Number(cells[2]?.replace(/,/g, '')),
      state: cells.at(-1),
    };
  }));
}

function durationMs(size) {
  const match = /^(\d+)([smhd])$/.exec(size);
  assert.ok(match, `window size option "${size}" is not a duration`);
  return Number(match[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[match[2]];
}

// Every row shown must be a window of the chosen size that holds observations.
async function checkWindowRows(page, size) {
  await waitUntil(page, `rows in the window aggregates table for ${size} windows`, (chosen) =>
    document.getElementById('window-size').value === chosen &&
      document.querySelectorAll('#windows-table tbody tr').length > 0 &&
      document.getElementById('windows-empty').hidden, size);
  const rows = await windowRows(page);
  for (const row of rows) {
    assert.equal(row.cells, 10, `a ${size} window row has ${row.cells} cells`);
    assert.equal(row.end - row.start, durationMs(size), `a ${size} window row spans ${row.start}..${row.end}`);
    assert.ok(Number.isInteger(row.count) && row.count >= 1, `a ${size} window row counts ${row.count} observations`);
    assert.ok(['open', 'final'].includes(row.state), `a ${size} window row's state is "${row.state}"`);
  }
  return `${rows.length} × ${size}`;
}

// Goes through every configured size, so switching sizes is checked too.
async function checkWindows(page, city) {
  await waitUntil(page, `the window aggregates panel to show ${city} with every size in the selector (${WINDOW_SIZES.join(', ')})`, ({ name, expected }) =>
    document.getElementById('windows-city')?.textContent === name &&
      [...document.querySelectorAll('#window-size option')].map((o) => o.value).join(',') === expected.join(','),
  { name: city, expected: WINDOW_SIZES });
  const shown = [];
  for (const size of WINDOW_SIZES) {
    await page.selectOption('#window-size', size);
    shown.push(await checkWindowRows(page, size));
  }
  return `window aggregates of ${city}: ${shown.join(', ')} rows`;
}

// -------------------------------------------------------------------- alerts

function activeAlerts(page) {
  return page.$$eval('#alerts-active li', (items) => items.map((li) => ({
    city: li.querySelector('strong')?.textContent,
    text: li.textContent,
  })));
}

// ALERT_RULE fires on every city's first observation and never clears, so
// each city in the latest table must show exactly one active alert for it.
async function checkActiveAlerts(page) {
  await waitUntil(page, `an active "${ALERT_RULE.name}" alert for every city in the latest table`, (rule) => {
    const cities = [...document.querySelectorAll('#latest-table tbody td[data-col="city"]')].map((td) => td.textContent);
    const alerted = [...document.querySelectorAll('#alerts-active li')]
      .filter((li) => li.textContent.includes(`${rule.name}: ${rule.condition}`))
      .map((li) => li.querySelector('strong')?.textContent);
    return cities.length > 0 && cities.every((city) => alerted.includes(city)) &&
      document.getElementById('alerts-none').hidden;
  }, ALERT_RULE);
  const alerts = await activeAlerts(page);
  const cities = alerts.map((a) => a.city);
  assert.equal(new Set(cities).size, cities.length, `one active alert per city, got ${cities.join(', ')}`);
  const chicago = alerts.find((a) => a.city === REFERENCE_CITIES[0].name);
  assert.match(chicago.text, /\(value -?[\d,]+\.\d, raised \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/,
    'the active alert names the value and the time it was raised');
  return `active alerts panel: "${ALERT_RULE.name}" raised for all ${alerts.length} cities, e.g. ${chicago.text}`;
}

async function readPipeline(page) {
  return page.evaluate(() => {
    const text = document.getElementById('pipeline-stored').textContent;
    return {
      updates: Number(document.body.dataset.updates),
      stored: /\d/.test(text) ? Number(text.replace(/[^0-9]/g, '')) : null,
    };
  });
}

async function checkLiveUpdate(page) {
  await waitUntil(page, 'a stored count in the pipeline panel', () => /\d/.test(document.getElementById('pipeline-stored').textContent));
  const before = await readPipeline(page);
  await waitUntil(page, `the stored count to grow past ${before.stored}`, (previous) => {
    const text = document.getElementById('pipeline-stored').textContent;
    return Number(document.body.dataset.updates) > previous.updates &&
      Number(text.replace(/[^0-9]/g, '')) > previous.stored;
  }, before);
  const after = await readPipeline(page);
  return `pipeline panel updated live: stored ${before.stored} -> ${after.stored} (${after.updates - before.updates} polls)`;
}

async function sortByTemperature(page, direction) {
  await page.click('#latest-table th[data-col="temp_c"] button');
  await waitUntil(page, `the temperature column to sort ${direction}`, (dir) =>
    document.querySelector('#latest-table th[data-col="temp_c"]').getAttribute('aria-sort') === dir, direction);
  const temps = (await latestRows(page)).map((r) => r.temp);
  assert.ok(temps.length >= 3 && temps.every(Number.isFinite), `temperatures shown: ${temps}`);
  const inOrder = temps.every((t, i) => i === 0 || (direction === 'ascending' ? temps[i - 1] <= t : temps[i - 1] >= t));
  assert.ok(inOrder, `rows should be in ${direction} temperature order, got ${temps.join(', ')}`);
  return temps;
}

async function checkSorting(page) {
  const ascending = await sortByTemperature(page, 'ascending');
  const descending = await sortByTemperature(page, 'descending');
  return `sorting by temperature: ascending ${ascending[0]}..${ascending.at(-1)}, then descending ${descending[0]}..${descending.at(-1)}`;
}

async function checkCitySelection(page) {
  const miami = REFERENCE_CITIES[1];
  await page.click(`#latest-table tbody tr[data-city-id="${miami.id}"]`);
  await waitUntil(page, 'the Miami row to be selected', (id) =>
    document.querySelector(`#latest-table tbody tr[data-city-id="${id}"]`)?.getAttribute('aria-selected') === 'true', miami.id);
  return `clicking a row selects it: ${await checkChart(page, CHARTS[0], miami.name)}`;
}

// The raise of ALERT_RULE must be listed for Chicago with its value, and the
// value column must be in view: the sidebar is narrow, and a table wider than
// its box hides the rightmost column behind a scroll bar.
async function checkRecentAlertEvents(page) {
  const chicago = REFERENCE_CITIES[0].name;
  await waitUntil(page, `a "${ALERT_RULE.name} raised" event for ${chicago} among the recent alert events`, ({ rule, city }) =>
    [...document.querySelectorAll('#alerts-recent tbody tr')].some((tr) =>
      tr.cells[1]?.textContent === city && tr.cells[2]?.textContent === `${rule.name} raised` &&
        /\d/.test(tr.cells[3]?.textContent)), { rule: ALERT_RULE, city: chicago });
  const box = await page.evaluate(() => {
    const scroller = document.getElementById('alerts-recent').parentElement;
    return { content: scroller.scrollWidth, visible: scroller.clientWidth };
  });
  assert.ok(box.content <= box.visible,
    `the recent alert events table is ${box.content} px wide but its panel shows ${box.visible} px, hiding the value column`);
  return `recent alert events list ${chicago}'s "${ALERT_RULE.name} raised" with its value, all columns in view`;
}

// A value that rounds to zero must not be shown as "-0" or "-0.0".
async function checkNoNegativeZero(page) {
  const shown = await page.evaluate(() => document.querySelector('main').innerText);
  const negativeZero = /(^|[^\d.,])-0(\.0+)?(?![\d.])/m.exec(shown);
  assert.equal(negativeZero, null, `the page shows a negative zero: "${negativeZero?.[0]}"`);
  return 'no negative zero shown';
}

// -------------------------------------------------------------------- main

async function closeBrowser(browser) {
  await Promise.race([browser.close(), sleep(10_000, undefined, { ref: false })]).catch(() => {});
}

async function run(binary, artifactDir) {
  const { chromium } = loadPlaywright();
  fs.mkdirSync(artifactDir, { recursive: true });
  const screenshot = path.join(artifactDir, 'dashboard.png');
  fs.rmSync(screenshot, { force: true }); // never leave a stale picture behind a failed run
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squall-browser-'));
  const checked = [];
  const consoleProblems = [];
  let squall;
  let browser;
  let page;
  try {
    squall = startSquall(binary, dataDir);
    const url = await waitForUrl(squall);
    checked.push(`squall serves ${url}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: STARTUP_TIMEOUT_MS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Every file and API call the page asks for exists (a missing icon or
    // script shows up only as a console line otherwise).
    const failedRequests = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleProblems.push(message.text());
    });
    await page.goto(url, { timeout: UI_TIMEOUT_MS });

    checked.push(await checkReferenceCitiesFirst(page));
    checked.push(await checkCharts(page, 'Chicago'));
    checked.push(await checkWindows(page, 'Chicago'));
    checked.push(await checkActiveAlerts(page));
    checked.push(await checkRecentAlertEvents(page));
    checked.push(await checkLiveUpdate(page));
    checked.push(await checkSorting(page));
    checked.push(await checkCitySelection(page));
    checked.push(await checkNoNegativeZero(page));
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    checked.push('no uncaught errors in the page');
    assert.deepEqual(failedRequests, [], 'requests the server answered with an error');
    checked.push('every request of the page answered');

    await page.screenshot({ path: screenshot, fullPage: true, timeout: UI_TIMEOUT_MS });
    checked.push(`screenshot saved to ${screenshot}`);
  } catch (error) {
    if (page) {
      const failure = path.join(artifactDir, 'dashboard-failure.png');
      await page.screenshot({ path: failure, fullPage: true, timeout: 10_000 })
        .then(() => console.error(`screenshot of the failing page: ${failure}`), () => {});
    }
    for (const line of checked) console.error(`ok   ${line}`);
    for (const line of consoleProblems.slice(-20)) console.error(`page console: ${line}`);
    throw error;
  } finally {
    if (browser) await closeBrowser(browser);
    if (squall) await stopSquall(squall);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return checked;
}

const [binary, artifactDir] = process.argv.slice(2);
if (!binary || !artifactDir) {
  console.error('usage: node dashboard_test.mjs <path-to-squall> <artifact-dir>');
  process.exit(1);
}
try {
  const checked = await run(path.resolve(binary), path.resolve(artifactDir));
  for (const line of checked) console.log(`ok   ${line}`);
  console.log(`browser dashboard test passed (${checked.length} checks)`);
  process.exit(0);
} catch (error) {
  console.error(`FAIL browser dashboard test: ${error.message}`);
  process.exit(1);
}
