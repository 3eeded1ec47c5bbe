import { expect, Page, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { signIn } from './helpers';

const fixture = (name: string) => readFileSync(`../app/tests/fixtures/csr/${name}`, 'utf8');
const CSR = fixture('rsa2048.csr');
const SHOP_CSR = fixture('shop.csr');
const KEY = fixture('private-key.pem');

async function openForm(page: Page, title: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New request' }).click();
  await page.getByRole('link', { name: title, exact: true }).click();
  await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
}

async function fillTls(page: Page) {
  await page.getByLabel('Common name').fill('www.example.com');
  await page.getByLabel('Additional domains').fill('example.com');
  await page.getByLabel('CSR', { exact: true }).fill(CSR);
  await page.getByLabel('Organization', { exact: true }).selectOption('1001');
  await page.getByLabel('Cost center').fill('CC-1001');
}

/** Submits, lands on the request's page, then finds the request in My requests. */
async function submitAndFind(page: Page, title: string, product: string) {
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page).toHaveURL(/\/requests\/\d+$/);
  await expect(page.locator('#request-status')).toHaveText('Pending approval');
  const id = page.url().split('/').pop()!;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My requests' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: id, exact: true }) });
  await expect(row).toContainText(title);
  await expect(row).toContainText(product);
  await expect(row).toContainText('Pending approval');
}

test('a requester orders Basic OV and finds it in My requests', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  await openForm(page, 'Basic OV');
  await fillTls(page);
  await submitAndFind(page, 'www.example.com', 'Basic OV');
});

test('a mistake comes back with its message and every typed value kept', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  await openForm(page, 'Basic OV');
  await fillTls(page);
  await page.getByLabel('Common name').fill('not a domain');
  await page.getByLabel('Comments for the approver').fill('Needed for the launch.');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page.locator('#common_name-error')).toContainText('not a valid domain name');
  await expect(page.getByLabel('Common name')).toHaveValue('not a domain');
  await expect(page.getByLabel('Comments for the approver')).toHaveValue('Needed for the launch.');
  await expect(page.getByLabel('Additional domains')).toHaveValue('example.com');
  await expect(page.getByLabel('Cost center')).toHaveValue('CC-1001');
});

test('the account\'s required custom field is asked for by its label', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  await openForm(page, 'Basic OV');
  await fillTls(page);
  await page.getByLabel('Cost center').fill('');
  await page.getByLabel('Ticket (optional)').fill('CHG-7');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page.locator('#cf_801-error')).toContainText('Enter the Cost center');
  await expect(page.getByLabel('Ticket (optional)')).toHaveValue('CHG-7');
  await page.getByLabel('Cost center').fill('CC-1001');
  await submitAndFind(page, 'www.example.com', 'Basic OV');
});

// These need the browser app; the no-JavaScript project leaves out what is tagged @js.
test.describe('with JavaScript', { tag: '@js' }, () => {

  test('Secure Site Pro EV with its EV approver', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Secure Site Pro EV');
    await fillTls(page);
    // Only the chosen organization's approvers; an organization without EV validation is shown
    // but cannot be chosen.
    await expect(page.locator('#f-ev_approver option[value="2003"]')).toHaveCount(0);
    await expect(page.locator('#f-organization option[value="1002"]')).toBeDisabled();
    await expect(page.locator('#f-organization option[value="1002"]')).toContainText('EV not active');
    await page.getByLabel('EV approver').selectOption('2001');
    await submitAndFind(page, 'www.example.com', 'Secure Site Pro EV');
  });

  test('SSL by type, private, with its issuing CA', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'SSL by type');
    await page.getByLabel('Certificate type').selectOption('private');
    await expect(page.getByLabel('Issuing CA')).toBeVisible();
    await fillTls(page);
    await page.getByLabel('Issuing CA').selectOption('SIMPRIVATECA01');
    await submitAndFind(page, 'www.example.com', 'SSL by type');
  });

  test('a Multi-year Plan for one of the fourteen products', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Multi-year Plan');
    await page.getByLabel('Product').selectOption('ssl_securesite_pro');
    await expect(page).toHaveURL(/product=ssl_securesite_pro/);
    await fillTls(page);
    await page.locator('#f-order_years').selectOption('3');
    await submitAndFind(page, 'www.example.com', 'Secure Site Pro OV');
  });

  test('document signing with a shipped token', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Document signing');
    await page.getByLabel('Full name').fill('Rene Pierce');
    await page.getByLabel('Job title').fill('Counsel');
    await page.getByLabel('Phone').fill('+1 555 0100');
    await page.locator('#f-subject_email').fill('rene@example.com');
    await page.getByLabel('Recipient').fill('Rene Pierce');
    await page.getByLabel('Address line 1').fill('360 Taylor Street');
    await page.getByLabel('City').fill('Richmond');
    await page.getByLabel('State or province').fill('VA');
    await page.getByLabel('Postal code').fill('69662');
    await page.getByLabel('Organization', { exact: true }).selectOption('1001');
    await page.getByLabel('Cost center').fill('CC-1001');
    await submitAndFind(page, 'Rene Pierce', 'Document Signing');
  });

  test('the estimated price follows the order as it changes', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    const estimate = page.locator('#price-estimate');
    await expect(estimate).toContainText('shown when the form is complete');
    await fillTls(page);
    await page.getByLabel('Comments for the approver').click();
    await expect(estimate).toContainText('USD 425.00');
    await page.locator('#f-order_years').selectOption('3');
    await page.getByLabel('Comments for the approver').click();
    await expect(estimate).toContainText('USD 1,275.00');
  });

  test('pasting a CSR shows its details at once, and the server verifies its signature', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    await page.getByLabel('CSR', { exact: true }).fill(CSR);
    const preview = page.locator('#csr-preview');
    await expect(preview).toContainText('CN=www.example.com');
    await expect(preview).toContainText('RSA 2048 bits');
    await expect(preview).toContainText('sha256WithRSAEncryption');
    await expect(page.locator('#csr-signature')).toHaveText('Signature verified by the server.');
  });

  test('a CSR naming other domains shows the difference and Fill from CSR resolves it', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    await page.getByLabel('Common name').fill('www.example.com');
    await page.getByLabel('CSR', { exact: true }).fill(SHOP_CSR);
    const difference = page.locator('#csr-difference');
    // A warning for names the order would leave out, information for names DigiCert adds.
    await expect(page.locator('#csr-only-in-csr')).toContainText('Only in the CSR: shop.example.org, api.example.org');
    await expect(page.locator('#csr-only-in-form')).toContainText('Only in the form: www.example.com');
    await expect(page.locator('#csr-only-in-form')).toContainText('the certificate will name these too');
    await page.getByRole('button', { name: 'Fill from CSR' }).click();
    await expect(difference).toHaveCount(0);
    await expect(page.getByLabel('Common name')).toHaveValue('shop.example.org');
    await expect(page.getByLabel('Additional domains')).toHaveValue('api.example.org');
  });

  test('names the CSR lacks do not stop a request: DigiCert takes the names of the order', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    await fillTls(page);
    await page.getByLabel('Additional domains').fill('example.com\nstatic.example.com');
    await expect(page.locator('#csr-only-in-form')).toContainText('static.example.com');
    await submitAndFind(page, 'www.example.com', 'Basic OV');
  });

  test('international names are converted in the browser as the server converts them', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    // Upper case, a decomposed ü and a full-width dot: UTS #46 makes them one name.
    await page.getByLabel('Common name').fill('Bu\u0308cher.Example');
    await page.getByLabel('Additional domains').fill('ｓｈｏｐ。example。org');
    await page.getByLabel('CSR', { exact: true }).fill(SHOP_CSR);
    const difference = page.locator('#csr-difference');
    await expect(difference).toContainText('Only in the form: xn--bcher-kva.example');
    await expect(difference).toContainText('Only in the CSR: api.example.org');
    await expect(difference).not.toContainText('shop.example.org,');
  });

  test('a pasted private key is refused and removed from the page', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    const sent: string[] = [];
    page.on('request', request => sent.push(request.postData() ?? ''));
    await page.getByLabel('CSR', { exact: true }).fill(KEY);
    await expect(page.locator('#private-key-warning')).toContainText('This is a private key');
    await expect(page.getByLabel('CSR', { exact: true })).toHaveValue('');
    const keyLine = KEY.split('\n')[1];
    expect(sent.some(body => body.includes(keyLine.slice(0, 20)))).toBe(false);
  });

  test('a request can be cancelled while pending and copied as a new one', async ({ page }, info) => {
    await signIn(page, info, 'requester@example.com');
    await openForm(page, 'Basic OV');
    await fillTls(page);
    await page.getByRole('button', { name: 'Submit request' }).click();
    await expect(page.locator('#request-status')).toHaveText('Pending approval');
    await expect(page.locator('#payload')).toContainText('"alternative_order_id"');
    await page.getByRole('button', { name: 'Cancel request' }).click();
    await expect(page.locator('#request-status')).toHaveText('Cancelled');
    await expect(page.getByRole('button', { name: 'Cancel request' })).toHaveCount(0);
    await page.getByRole('link', { name: 'Copy as new request' }).click();
    await expect(page.getByLabel('Common name')).toHaveValue('www.example.com');
    await expect(page.getByLabel('Additional domains')).toHaveValue('example.com');
  });
});
