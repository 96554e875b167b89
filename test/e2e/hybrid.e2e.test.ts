// The hybrid demo in a real browser: Debian's chromium, headless, driven by playwright-core.
// `npm start` is what runs here (scripts/start-demo.mjs), on a free port.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../../examples/_support/example-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = process.env.E2E_SCREENSHOT ?? '/tmp/pagi-hybrid-demo.png';

describe('hybrid demo in headless Chromium', () => {
  let demo: ExampleProcess;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
    }
    demo = await startExample('hybrid', { entry: 'scripts/start-demo.mjs' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    expect(await demo?.stop()).toBe(0);
  });

  async function openDemo(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(demo.url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(errors).toEqual([]);
    return page;
  }

  it('loads the Express page, receives SSE ticks and chats over WebSocket', async () => {
    const page = await openDemo();
    const other = await openDemo();
    try {
      // The Express-rendered part: session visit counter and greeting from the server template.
      await expect(page.textContent('#rendered-by')).resolves.toContain('Express');
      expect(await page.textContent('#visits')).toBe('1');
      const name = await page.getAttribute('body', 'data-name');
      expect(name).toMatch(/^guest-\d{4}$/);

      // At least three SSE ticks from the native /live/events endpoint.
      await expect
        .poll(async () => Number(await page.textContent('#tick-count')), { timeout: 20_000, interval: 200 })
        .toBeGreaterThanOrEqual(3);
      await expect(page.textContent('#sse-status')).resolves.toBe('connected');
      expect(await page.textContent('#clock')).toMatch(/\d/);

      // The chat over the native /live/chat WebSocket: sent from one page, seen on both.
      await page.waitForSelector('#chat-input:not([disabled])', { timeout: 10_000 });
      await other.waitForSelector('#chat-input:not([disabled])', { timeout: 10_000 });
      await page.fill('#chat-input', 'hello from chromium');
      await page.click('#chat-send');
      await page.waitForSelector('#chat-log li:has-text("hello from chromium")', { timeout: 10_000 });
      await other.waitForSelector('#chat-log li:has-text("hello from chromium")', { timeout: 10_000 });
      expect(await other.textContent('#chat-log li:has-text("hello from chromium") b')).toBe(name);

      // The Express JSON API posts into the same room; the message arrives over the WebSocket.
      await page.click('#api-post');
      await other.waitForSelector('#chat-log li:has-text("via the Express JSON API")', { timeout: 10_000 });

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await page.close();
      await other.close();
    }
  });

  it('keeps the session across reloads (express-session through fromExpress)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(demo.url);
      const name = await page.getAttribute('body', 'data-name');
      await page.reload();
      expect(await page.textContent('#visits')).toBe('2');
      expect(await page.getAttribute('body', 'data-name')).toBe(name);
    } finally {
      await context.close();
    }
  });
});
