// What the browser fetches to show a page: the benchmark (server/bench) runs this against a
// release server and weighs the files it lists. Each page opens in a fresh browser (empty cache),
// signed in as the given person, and counts once hydrated.
//
//   node end2end/bundle-bytes.mjs BASE_URL PASSWORD PATH[@EMAIL] ...
//
// Prints one JSON array: [{ "page": PATH, "files": ["/pkg/certdesk.wasm", ...] }, ...].
import { chromium } from '@playwright/test';

const [base, password, ...pages] = process.argv.slice(2);
if (!base || !password || pages.length === 0) {
  console.error('usage: bundle-bytes.mjs BASE_URL PASSWORD PATH[@EMAIL] ...');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

async function signIn(context, email) {
  const page = await context.newPage();
  await page.goto(`${base}/sign-in`);
  await page.locator('.app[data-hydrated="true"]').waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /Welcome/ }).waitFor();
  await page.close();
}

const measured = [];
try {
  for (const spec of pages) {
    // Paths hold no "@": the first one separates the page from who looks at it.
    const at = spec.indexOf('@');
    const [path, email] = at < 0 ? [spec, undefined] : [spec.slice(0, at), spec.slice(at + 1)];
    const context = await browser.newContext();
    if (email) await signIn(context, email);
    const page = await context.newPage();
    // Signing in loaded files already: the page is weighed as from an empty cache.
    const session = await context.newCDPSession(page);
    await session.send('Network.enable');
    await session.send('Network.setCacheDisabled', { cacheDisabled: true });
    const files = new Set();
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/pkg/')) files.add(url.pathname);
    });
    await page.goto(`${base}${path}`);
    await page.locator('.app[data-hydrated="true"]').waitFor();
    await page.waitForLoadState('networkidle');
    measured.push({ page: path, files: [...files].sort() });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(measured));
