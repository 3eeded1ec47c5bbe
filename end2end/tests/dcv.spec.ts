import { Browser, expect, Page, test, TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { signIn } from './helpers';

const CSR = readFileSync('../app/tests/fixtures/csr/rsa2048.csr', 'utf8');

async function personPage(browser: Browser, info: TestInfo, email: string): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: info.project.name === 'js' });
  const page = await context.newPage();
  await signIn(page, info, email);
  return page;
}

// The demo's simulator has validated example.com and example.org only: an order for a name under
// example.net waits at DigiCert until the requester proves control of it.
test('a requester proves control of a new domain and gets the certificate; an admin sees the domain', async ({ page, browser }, info) => {
  const host = `shop.${info.project.name}${Date.now()}.example.net`;
  await signIn(page, info, 'requester@example.com');
  await page.goto('/requests/new/basic-ov');
  await page.getByLabel('Common name').fill(host);
  await page.getByLabel('CSR', { exact: true }).fill(CSR);
  await page.getByLabel('Organization', { exact: true }).selectOption('1001');
  await page.getByLabel('Cost center').fill('CC-1001');
  await page.getByLabel('Domain validation method').selectOption('dns-txt-token');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page).toHaveURL(/\/requests\/\d+$/);
  const id = page.url().split('/').pop()!;

  // The approver decides on the request page itself, where the whole request is.
  const approver = await personPage(browser, info, 'approver@example.com');
  await approver.goto(`/requests/${id}`);
  await approver.locator('#decide').getByLabel('Comment (optional)').fill('DCV is on you.');
  await approver.locator('#decide').getByRole('button', { name: 'Approve' }).click();
  await expect(approver.locator('#decide')).toHaveCount(0);

  // Placed at DigiCert, the order waits: the page says what to publish, name by name.
  const dcv = page.locator('#dcv');
  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(dcv).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  const row = dcv.locator(`tr[data-name="${host}"]`);
  await expect(row).toContainText('Waiting');
  await expect(row).toContainText('TXT');
  await expect(row).toContainText(`_dnsauth.${host}`);
  await expect(dcv.locator('#dcv-method')).toHaveText('DNS TXT record');
  if (info.project.name === 'js') {
    await expect(row.getByRole('button', { name: 'Copy value' })).toBeVisible();
  }

  // Checking before the record exists says so and changes nothing.
  await dcv.getByRole('button', { name: 'Check now' }).click();
  await expect(page.locator('#dcv')).toContainText('did not find the record yet');
  await expect(page.locator('#request-status')).toHaveText('At DigiCert');

  // The demo publishes the record in the simulator's DNS; the next check passes.
  await page.locator('#dcv').getByRole('button', { name: 'Publish record (demo)' }).click();
  await expect(page.locator('#dcv-check')).toBeVisible();
  await page.locator('#dcv').getByRole('button', { name: 'Check now' }).click();
  await expect(page.locator('#dcv')).toContainText('issued the certificate');

  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(page.locator('#request-status')).toHaveText('Issued', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.locator(`#dcv tr[data-name="${host}"]`)).toContainText('Validated');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download certificate' }).click();
  const pem = readFileSync(await (await download).path(), 'utf8');
  expect(pem).toContain('-----BEGIN CERTIFICATE-----');

  // The account now holds the domain, with a DCV expiry 199 days out.
  const admin = await personPage(browser, info, 'admin@example.com');
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Domains' }).click();
  const domain = admin.locator(`#domains tr[data-domain="${host}"]`);
  const expires = new Date(Date.now() + 199 * 86_400_000).toISOString().slice(0, 10);
  await expect(domain).toContainText(expires);
  await expect(domain).toContainText('DNS TXT record');
  // The soonest lapse comes first: example.org, validated long ago.
  await expect(admin.locator('#domains tbody tr').first()).toHaveAttribute('data-domain', 'example.org');
});
