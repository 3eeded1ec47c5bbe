import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { signIn } from './helpers';

// Common name shop.example.org, additional name api.example.org: the search below matches the
// additional name only.
const CSR = readFileSync('../app/tests/fixtures/csr/shop.csr', 'utf8');

test('an admin finds a request by an additional name (SAN) and exports the search as CSV', async ({ page, browser }, info) => {
  const requester = await (await browser.newContext({ javaScriptEnabled: info.project.name === 'js' })).newPage();
  await signIn(requester, info, 'requester@example.com');
  await requester.goto('/requests/new/basic-ov');
  await requester.getByLabel('Common name').fill('shop.example.org');
  await requester.getByLabel('Additional domains').fill('api.example.org');
  await requester.getByLabel('CSR', { exact: true }).fill(CSR);
  await requester.getByLabel('Organization', { exact: true }).selectOption('1001');
  await requester.getByLabel('Cost center').fill('CC-1001');
  await requester.getByRole('button', { name: 'Submit request' }).click();
  await expect(requester).toHaveURL(/\/requests\/\d+$/);
  const id = requester.url().split('/').pop()!;

  await signIn(page, info, 'admin@example.com');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByLabel('Name').fill('api.example');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=api\.example/);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: id, exact: true }) });
  await expect(row).toContainText('shop.example.org');

  const download = page.waitForEvent('download');
  await page.locator('#export-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^certdesk-history-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(await file.path(), 'utf8');
  expect(csv.split('\r\n')[0]).toContain('common name');
  // Every cell is quoted, so no spreadsheet splits or runs one.
  expect(csv).toContain(`"${id}","ssl_basic","shop.example.org","api.example.org"`);
  expect(csv.split('\r\n')[0]).toContain('"estimated price"');
  expect(csv).toContain('"USD 425.00"');

  await row.getByRole('link', { name: id, exact: true }).click();
  await expect(page.locator('.timeline')).toContainText('Pending approval');
});

test('an admin creates a user and then deactivates them', async ({ page }, info) => {
  await signIn(page, info, 'admin@example.com');
  await page.goto('/users');
  const email = `temp-${info.project.name}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name', { exact: true }).fill('Temporary Person');
  await page.getByRole('button', { name: 'Create user' }).click();
  // The one-time password is shown by the browser app (without JavaScript the account is still
  // created; the admin then uses "Reset password" with JavaScript on).
  if (info.project.name === 'js') {
    await expect(page.locator('#temporary-password')).toContainText(email);
  }
  await page.goto(`/users?q=temp-${info.project.name}`);
  const row = page.locator(`[id="user-${email}"]`);
  await expect(row).toContainText('active');
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.locator(`[id="user-${email}"]`)).toContainText('deactivated');
});
