// What the browser fetches to show a page: the benchmark (server/bench) runs this against a
// release server. Each page opens in a fresh browser (empty cache), signed in as the given
// person, and counts once hydrated: every file from /pkg/, with the bytes of its body as sent
// (compressed, when the server compressed it) and its Content-Encoding.
//
//   node end2end/bundle-bytes.mjs BASE_URL PASSWORD PATH[@EMAIL] ...
//
// Prints one JSON array:
// [{ "page": PATH, "files": [{ "path": "/pkg/certdesk.wasm", "encoding": "br", "bytes": 230591 }, ...] }, ...]
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

// A file's body as it came over the wire, and how it was encoded.
async function weigh(path, request) {
  const response = await request.response();
  const sizes = await request.sizes();
  return {
    path,
    encoding: response?.headers()['content-encoding'] ?? null,
    bytes: sizes.responseBodySize,
  };
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
    const fetched = [];
    page.on('requestfinished', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/pkg/')) fetched.push(weigh(url.pathname, request));
    });
    await page.goto(`${base}${path}`);
    await page.locator('.app[data-hydrated="true"]').waitFor();
    await page.waitForLoadState('networkidle');
    const files = await Promise.all(fetched);
    files.sort((a, b) => a.path.localeCompare(b.path));
    measured.push({ page: path, files });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(measured));
