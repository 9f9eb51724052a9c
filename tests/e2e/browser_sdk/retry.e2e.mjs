// Segment's browser SDK (analytics-next, unchanged) in headless Chromium sends one track call through a proxy
// that fails its first attempt; the SDK retries with X-Retry-Count, which the CORS preflight must allow.
// Driven by tests/e2e/test_browser_sdk_retry.py, which runs the page server, the failing proxy and the API,
// and checks Kafka. This script loads the page, tracks, and waits for the retried POST to be answered 200.
//
// Environment: PAGE_URL (the page, on its own origin), API_HOST (host:port/v1 of the proxy), WRITE_KEY,
// CHROMIUM, RUN (a marker put in the event), TIMEOUT_MS (how long the retry may take, scaled by the caller).
// Prints `MESSAGE_ID <id>` once the event was sent; exits 0 when the retry landed, 1 otherwise.
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { PAGE_URL, API_HOST, WRITE_KEY, CHROMIUM, RUN } = process.env;
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? '120000');

async function main() {
  if (!PAGE_URL || !API_HOST || !WRITE_KEY || !CHROMIUM) {
    console.error('PAGE_URL, API_HOST, WRITE_KEY and CHROMIUM must be set');
    process.exit(2);
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'cs-browser-sdk-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-sync',
        // Nothing may leave this machine (the SDK would ask Segment's CDN for plugins): every name but the
        // loopback address fails to resolve. Not Playwright's request interception: with it, Playwright
        // answers CORS preflights itself, and the preflight is what this test is about.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const blocked = [];
    page.on('requestfailed', (request) => blocked.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
    page.on('console', (message) => console.log(`      console.${message.type()}: ${message.text()}`));
    const landed = page.waitForResponse(
      (response) =>
        response.url().endsWith('/v1/t') &&
        response.request().method() === 'POST' &&
        response.request().headers()['x-retry-count'] !== undefined &&
        response.status() === 200,
      { timeout: TIMEOUT_MS },
    );
    await page.goto(PAGE_URL);
    const messageId = await page.evaluate(
      async ({ apiHost, writeKey, run }) => {
        const { AnalyticsBrowser } = window.AnalyticsNext;
        const settings = {
          integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http' } },
          metrics: { host: apiHost, protocol: 'http' },
        };
        const [analytics] = await AnalyticsBrowser.load({ writeKey, cdnSettings: settings, cdnURL: 'http://127.0.0.1:9' });
        const ctx = await analytics.track('Retry Landed', { run });
        return ctx.event.messageId;
      },
      { apiHost: API_HOST, writeKey: WRITE_KEY, run: RUN },
    );
    console.log(`MESSAGE_ID ${messageId}`);
    try {
      await landed;
    } catch (error) {
      console.error(`FAIL  no retried POST /v1/t was answered 200 within ${TIMEOUT_MS} ms: ${error.message}`);
      for (const line of blocked) console.error(`      failed request: ${line}`);
      process.exitCode = 1;
      return;
    }
    console.log('PASS  the retried event was answered 200');
  } finally {
    await context?.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

await main();
