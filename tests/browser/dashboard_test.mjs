// End-to-end check of the web dashboard as a user sees it: starts
// `squall run` with its HTTP server on a free loopback port, opens the page in
// Debian's headless chromium through playwright-core, and checks the tables,
// a chart, a live update and sorting.
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

// The chart must hold data and have painted it: the temperature series' red
// (#d94f3d in app.js) has to appear on the canvas, which axes and grid never use.
async function checkTemperatureChart(page, city) {
  await waitUntil(page, `the temperature chart of ${city} to hold at least 2 points`, (name) => {
    const chart = window.squallDashboard?.charts?.temperature;
    return document.getElementById('charts-city')?.textContent === name &&
      document.querySelector('#chart-temperature canvas') !== null &&
      chart?.data?.[0]?.length >= 2 && chart.data[1].filter((v) => v !== null).length >= 2;
  }, city);
  await waitUntil(page, 'the temperature series to be painted on the canvas', () => {
    const canvas = document.querySelector('#chart-temperature canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let seriesPixels = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 128 && r > 180 && g < 130 && b < 110) seriesPixels += 1;
    }
    return seriesPixels >= 20;
  });
  const points = await page.evaluate(() => window.squallDashboard.charts.temperature.data[0].length);
  return `temperature chart of ${city} drawn with ${points} points`;
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
  return `clicking a row selects it: ${await checkTemperatureChart(page, miami.name)}`;
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
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleProblems.push(message.text());
    });
    await page.goto(url, { timeout: UI_TIMEOUT_MS });

    checked.push(await checkReferenceCitiesFirst(page));
    checked.push(await checkTemperatureChart(page, 'Chicago'));
    checked.push(await checkLiveUpdate(page));
    checked.push(await checkSorting(page));
    checked.push(await checkCitySelection(page));
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    checked.push('no uncaught errors in the page');

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
