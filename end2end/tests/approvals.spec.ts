import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { asApprover, signIn, submitRequest } from './helpers';

test('an approved request is issued and the requester downloads the certificate', async ({ page, browser }, info) => {
  await signIn(page, info, 'requester@example.com');
  const id = await submitRequest(page, `approve-${info.project.name}`);

  const approver = await asApprover(browser, info);
  await approver.goto('/approvals');
  const card = approver.locator(`#request-${id}`);
  await expect(card).toContainText('www.example.com');
  await expect(card).toContainText('USD 425.00');
  await card.getByLabel('Comment (optional)').fill('Looks right.');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.locator(`#request-${id}`)).toHaveCount(0);

  // The worker forwards the order; the simulator issues at once.
  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(page.locator('#request-status')).toHaveText('Issued', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.locator('.timeline')).toContainText('Looks right.');
  // The order holds its first certificate, with its serial and its own files.
  await expect(page.locator('#certificates tbody tr')).toHaveCount(1);
  await expect(page.locator('#certificates')).toContainText('Current');
  await expect(page.locator('#order-term')).toContainText('The order runs until');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download certificate' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('www.example.com.pem');
  const pem = readFileSync(await file.path(), 'utf8');
  expect(pem).toContain('-----BEGIN CERTIFICATE-----');
  const chain = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download chain' }).click();
  expect((await chain).suggestedFilename()).toBe('www.example.com-chain.pem');

  // The Certificates view lists it, with the weeks ahead drawn as SVG.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await expect(page.locator('#week-chart')).toBeVisible();
  const row = page.locator('#current-certificates tbody tr').filter({ has: page.getByRole('link', { name: 'www.example.com' }) }).first();
  await expect(row).toBeVisible();
  await page.goto(`/requests/${id}`);

  // "Renew" opens the same form filled from the order, naming the order it renews.
  await page.getByRole('link', { name: 'Renew' }).click();
  await expect(page).toHaveURL(new RegExp(`/requests/new/basic-ov\\?renew=${id}$`));
  await expect(page.getByLabel('Common name')).toHaveValue('www.example.com');
  await expect(page.getByLabel('Cost center')).toHaveValue('CC-1001');
  await expect(page.locator('#f-renewal_of_order_id')).toHaveValue(/^\d+$/);
  await expect(page.getByLabel('CSR', { exact: true })).toHaveValue('');
});

test('a rejection shows its reason to the requester', async ({ page, browser }, info) => {
  await signIn(page, info, 'requester@example.com');
  const id = await submitRequest(page, `reject-${info.project.name}`);

  const approver = await asApprover(browser, info);
  await approver.goto('/approvals');
  const card = approver.locator(`#request-${id}`);
  await card.getByRole('button', { name: 'Reject' }).click();
  if (info.project.name === 'js') {
    await expect(approver.locator('#decision-error')).toContainText('Say why the request is rejected');
  }
  await approver.locator(`#request-${id}`).getByLabel('Reason (shown to the requester)').fill('We already have a wildcard for this.');
  await approver.locator(`#request-${id}`).getByRole('button', { name: 'Reject' }).click();
  await expect(approver.locator(`#request-${id}`)).toHaveCount(0);

  await page.goto(`/requests/${id}`);
  await expect(page.locator('#request-status')).toHaveText('Rejected');
  await expect(page.locator('.timeline')).toContainText('We already have a wildcard for this.');
});
