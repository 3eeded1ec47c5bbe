import { expect, Page, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approveFromQueue, asApprover, signIn, submitRequest, waitForIssued } from './helpers';

/** A fresh P-256 key and a CSR for it naming the demo order's names, made by openssl. */
function newKeyAndCsr(): { key: string; csr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-e2e-'));
  execFileSync('openssl', [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'csr.pem'),
    '-subj', '/CN=www.example.com', '-addext', 'subjectAltName=DNS:www.example.com,DNS:example.com',
  ]);
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), csr: readFileSync(join(dir, 'csr.pem'), 'utf8') };
}

/** Reloads the request page until the certificate `serial` says `state` (the page's sections load
 * one after another, so one load may show the change done and the certificates a moment older). */
async function waitForCertificate(page: Page, id: string, serial: string, state: string) {
  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(page.locator(`#certificates tr[data-serial="${serial}"]`)).toContainText(state, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}

/** Reloads the request page until its newest change says `status`. */
async function waitForChange(page: Page, id: string, status: string) {
  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(page.locator('#changes li.change').first()).toContainText(status, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}

test('a requester reissues with a new key, an approver approves, and the new certificate supersedes the old', async ({ page, browser }, info) => {
  await signIn(page, info, 'requester@example.com');
  const id = await submitRequest(page, `reissue-${info.project.name}`);
  const approver = await asApprover(browser, info);
  await approveFromQueue(approver, id);
  await waitForIssued(page, id);
  const oldSerial = await page.locator('#certificates tbody tr').first().getAttribute('data-serial');

  await page.locator('#changes').getByRole('link', { name: 'Reissue', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/requests/${id}/reissue$`));
  await expect(page.locator('#change-price')).toHaveText('Included in the order');
  await expect(page.getByLabel(/^Names/)).toHaveValue('www.example.com\nexample.com');
  const { key, csr } = newKeyAndCsr();
  await page.getByLabel('CSR for the new key').fill(csr);
  await page.getByRole('button', { name: 'Ask for the reissue' }).click();
  await expect(page).toHaveURL(new RegExp(`/requests/${id}(#changes)?$`));
  const change = page.locator('#changes li.change').first();
  await expect(change).toContainText('Waiting for approval');
  await expect(change).toContainText('(a new key)');

  // The approver sees what changes and what it costs, and approves from the queue.
  await approver.goto('/approvals');
  const row = approver.locator('#changes tr', { hasText: `#${id} ` });
  await expect(row).toContainText('new key');
  await expect(row).toContainText('same names');
  await expect(row).toContainText('included in the order');
  await row.getByRole('button', { name: 'Approve change' }).click();
  await expect(approver.locator('#changes tr', { hasText: `#${id} ` })).toHaveCount(0);

  await waitForChange(page, id, 'Done');
  await waitForCertificate(page, id, oldSerial!, 'Superseded');
  await expect(page.locator('#certificates tbody tr').first()).toContainText('Current');
  // The order's download is now the new certificate, for the new key.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download certificate' }).click();
  const pem = readFileSync(await (await download).path(), 'utf8');
  const issuedKey = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  const ourKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  expect(Buffer.compare(issuedKey, ourKey)).toBe(0);
});

test('a requester asks to revoke with keyCompromise and sees the certificate revoked', async ({ page, browser }, info) => {
  await signIn(page, info, 'requester@example.com');
  const id = await submitRequest(page, `revoke-${info.project.name}`);
  const approver = await asApprover(browser, info);
  await approveFromQueue(approver, id);
  await waitForIssued(page, id);
  const serial = await page.locator('#certificates tbody tr').first().getAttribute('data-serial');

  await page.locator('#revoke summary').click();
  // The current certificate comes first.
  await expect(page.getByLabel('What to revoke').locator('option').first()).toContainText(serial!);
  await page.getByLabel('Reason', { exact: true }).selectOption('key_compromise');
  await page.getByLabel('Comment', { exact: true }).fill('The key was on a laptop that was stolen.');
  await page.getByRole('button', { name: 'Ask to revoke' }).click();
  await waitForChange(page, id, 'Waiting for approval');
  await expect(page.locator('#changes li.change').first()).toContainText('keyCompromise');

  // The approver decides on the request page.
  await approver.goto(`/requests/${id}`);
  await approver.locator('#changes').getByRole('button', { name: 'Approve change' }).click();
  await waitForChange(page, id, 'Done');
  await waitForCertificate(page, id, serial!, 'Revoked');
  await expect(page.locator(`#certificates tr[data-serial="${serial}"]`)).toContainText('keyCompromise');
});
