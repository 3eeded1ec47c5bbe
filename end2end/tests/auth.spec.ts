import { expect, test } from '@playwright/test';
import { demoPassword, openSignIn, signIn, usesJavaScript } from './helpers';

const navigation = page => page.getByRole('navigation', { name: 'Main' });

const roles = [
  { email: 'requester@example.com', shown: ['New request', 'My requests'], hidden: ['Approvals', 'History', 'Users'] },
  { email: 'approver@example.com', shown: ['Approvals'], hidden: ['New request', 'My requests', 'History', 'Users'] },
  { email: 'admin@example.com', shown: ['Approvals', 'History', 'Users'], hidden: ['New request', 'My requests'] },
];

for (const role of roles) {
  test(`${role.email} sees the navigation of their role`, async ({ page }, info) => {
    await signIn(page, info, role.email);
    for (const label of role.shown) {
      await expect(navigation(page).getByRole('link', { name: label })).toBeVisible();
    }
    for (const label of role.hidden) {
      await expect(navigation(page).getByRole('link', { name: label })).toHaveCount(0);
    }
    await navigation(page).getByRole('link', { name: role.shown[0] }).click();
    await expect(page.getByRole('heading', { name: role.shown[0] })).toBeVisible();
  });
}

test('a wrong password says only that email or password is incorrect, and keeps the email', async ({ page }, info) => {
  await openSignIn(page, info);
  await page.getByLabel('Email').fill('approver@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(/email or password is incorrect/i);
  await expect(page.getByLabel('Email')).toHaveValue('approver@example.com');
  await expect(page.getByLabel('Password')).toHaveValue('');
});

test('signing out ends the session', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.goto('/requests');
  await expect(page).toHaveURL(/\/sign-in\?next=\/requests/);
});

test('a visitor is sent to sign in and then to the page they asked for', async ({ page }, info) => {
  await page.goto('/approvals');
  await expect(page).toHaveURL(/\/sign-in\?next=\/approvals/);
  if (usesJavaScript(info)) {
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  }
  const password = await demoPassword(page);
  await page.getByLabel('Email').fill('approver@example.com');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.getByRole('heading', { name: 'Approvals' })).toBeVisible();
});

test('a requester who opens the users page is told it is not allowed', async ({ page }, info) => {
  await signIn(page, info, 'requester@example.com');
  const response = await page.goto('/users');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
});

test('the page hydrates only when JavaScript runs', async ({ page }, info) => {
  await page.goto('/sign-in');
  if (usesJavaScript(info)) {
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  } else {
    await page.waitForLoadState('load');
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'false');
  }
  const favicon = await page.request.get('/favicon.ico');
  expect(favicon.status()).toBe(200);
});

test('pages hydrate and stream under their Content-Security-Policy without a violation @js', async ({ page }, info) => {
  const violations: string[] = [];
  page.on('console', message => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  await signIn(page, info, 'admin@example.com');
  for (const path of ['/approvals', '/history', '/users', '/audit']) {
    const response = await page.goto(path);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  }
  expect(violations).toEqual([]);
});
