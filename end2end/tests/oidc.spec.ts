import { test, expect } from '@playwright/test';

// Single sign-on through a real OpenID provider (npm `oidc-provider`, started by the Playwright
// config beside the portal). Its sign-in page takes any password; `sam` is in pki-approvers.

test('an employee signs in with the company provider, gets the approver role from a group and signs out of both', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
  await page.locator('input[name="login"]').fill('sam');
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();

  await expect(page.locator('.who-name')).toHaveText('Sam Single-Sign-On');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Approvals' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The provider asks before ending its own session, then sends the browser back.
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('link', { name: 'Sign in with Example SSO' })).toBeVisible();
  await page.goto('/requests');
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});

test('cancelling at the provider ends on the sign-in page with a clear message', async ({ page }) => {
  await page.goto('/sign-in?next=%2Frequests');
  await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
  await page.getByRole('link', { name: '[ Cancel ]' }).click();
  await expect(page).toHaveURL(/\/sign-in\?sso_error=denied$/);
  await expect(page.getByRole('alert')).toHaveText('Single sign-on was cancelled or refused at the provider.');
  // The password form is still there for those who use one.
  await expect(page.getByLabel('Email')).toBeVisible();
});
