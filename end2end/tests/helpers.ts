import { Browser, expect, Page, TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';

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

export const CSR = readFileSync('../app/tests/fixtures/csr/rsa2048.csr', 'utf8');

/** A requester's Basic OV request for `name`; answers its id. */
export async function submitRequest(page: Page, name: string): Promise<string> {
  await page.goto('/requests/new/basic-ov');
  await page.getByLabel('Common name').fill(name);
  await page.getByLabel('CSR', { exact: true }).fill(CSR);
  // The CSR names www.example.com and example.com; the form must name the same.
  await page.getByLabel('Common name').fill('www.example.com');
  await page.getByLabel('Additional domains').fill('example.com');
  await page.getByLabel('Organization', { exact: true }).selectOption('1001');
  await page.getByLabel('Cost center').fill('CC-1001');
  await page.getByLabel('Comments for the approver').fill(name);
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page).toHaveURL(/\/requests\/\d+$/);
  return page.url().split('/').pop()!;
}

export async function asApprover(browser: Browser, info: TestInfo): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: info.project.name === 'js' });
  const page = await context.newPage();
  await signIn(page, info, 'approver@example.com');
  return page;
}

/** The approver approves request `id` from the queue. */
export async function approveFromQueue(approver: Page, id: string) {
  await approver.goto('/approvals');
  await approver.locator(`#request-${id}`).getByRole('button', { name: 'Approve' }).click();
  await expect(approver.locator(`#request-${id}`)).toHaveCount(0);
}

/** Reloads the request page until the worker has brought the order to Issued. */
export async function waitForIssued(page: Page, id: string) {
  await expect(async () => {
    await page.goto(`/requests/${id}`);
    await expect(page.locator('#request-status')).toHaveText('Issued', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}
