import { expect, Page, TestInfo } from '@playwright/test';

export const usesJavaScript = (info: TestInfo) => info.project.name === 'js';

/** Opens the sign-in page; with JavaScript on, waits until the page is hydrated. */
export async function openSignIn(page: Page, info: TestInfo) {
  await page.goto('/sign-in');
  if (usesJavaScript(info)) {
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  }
}

/** The demo password, read off the banner exactly as a new user would. */
export async function demoPassword(page: Page): Promise<string> {
  const text = await page.locator('.demo-password').textContent();
  expect(text).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
  return text!;
}

export async function signIn(page: Page, info: TestInfo, email: string) {
  await openSignIn(page, info);
  const password = await demoPassword(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
}
