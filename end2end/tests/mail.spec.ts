import { expect, test } from '@playwright/test';
import { signIn } from './helpers';

test('a person switches a kind of mail off and on again on the Account page', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
  const issued = page.locator('#mail-preferences li[data-kind="issued"]');
  await expect(issued).toContainText('My certificate is ready — on');
  await issued.getByRole('button', { name: 'Turn off' }).click();
  await expect(page.locator('#mail-preferences li[data-kind="issued"]')).toContainText('— off');
  await page.reload();
  await expect(page.locator('#mail-preferences li[data-kind="issued"]')).toContainText('— off');
  await page.locator('#mail-preferences li[data-kind="issued"]').getByRole('button', { name: 'Turn on' }).click();
  await expect(page.locator('#mail-preferences li[data-kind="issued"]')).toContainText('— on');
});

test('in demo mode an admin reads the mail certdesk kept', async ({ page }, info) => {
  await signIn(page, info, 'admin@example.com');
  await page.goto('/admin/mail');
  await expect(page.getByRole('heading', { name: 'Mail' })).toBeVisible();
  // Earlier specs submitted requests: approvers were told, and nothing left (no SMTP server).
  await expect(page.locator('#mail-list li').first()).toContainText('Kept (no SMTP server configured)');
  await expect(page.locator('#mail-list')).toContainText('Approval needed');
});
