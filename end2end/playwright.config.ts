import { defineConfig } from '@playwright/test';

// scripts/test.sh builds certdesk, prepares a fresh database and exports E2E_DATABASE_URL.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// The OpenID provider of the single sign-on specs (npm `oidc-provider`).
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 3101);
const oidcIssuer = `http://127.0.0.1:${oidcPort}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../target/end2end/results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'js', use: { javaScriptEnabled: true } },
    // Specs tagged @js exercise what only the browser app does (live preview, file upload).
    { name: 'nojs', use: { javaScriptEnabled: false }, grepInvert: /@js/ },
  ],
  webServer: [{
    command: 'node oidc/provider.mjs',
    url: `${oidcIssuer}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'ignore',
    env: {
      OIDC_PORT: String(oidcPort),
      OIDC_USERS: 'oidc/users.json',
      OIDC_CLIENT_SECRET: 'certdesk-e2e-client-secret',
    },
  }, {
    command: '../target/debug/certdesk serve',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      CERTDESK_MIGRATION_DATABASE_URL: process.env.E2E_MIGRATION_URL ?? '',
      CERTDESK_LISTEN: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      DIGICERT_API_KEY: '',
      // One-year demo orders are inside the renewal window, so "Renew" can be tried.
      CERTDESK_RENEW_WINDOW_DAYS: '400',
      // The spec checks before and right after publishing; the throttle has an HTTP test.
      CERTDESK_DCV_CHECK_SECONDS: '0',
      RUST_LOG: 'warn',
      CERTDESK_PUBLIC_URL: baseURL,
      CERTDESK_OIDC_ISSUER: oidcIssuer,
      CERTDESK_OIDC_CLIENT_ID: 'certdesk',
      CERTDESK_OIDC_CLIENT_SECRET: 'certdesk-e2e-client-secret',
      CERTDESK_OIDC_NAME: 'Example SSO',
      CERTDESK_OIDC_SCOPES: 'email profile groups',
      CERTDESK_OIDC_ROLE_MAP: 'pki-approvers=approver,pki-admins=admin',
    },
  }],
});
