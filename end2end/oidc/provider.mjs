// A real OpenID provider (npm `oidc-provider`) for certdesk's single sign-on tests, on loopback.
//
// Settings (environment):
//   OIDC_PORT           port to listen on (0 or unset: a free one)
//   OIDC_USERS          JSON file { "<login>": { "email", "name", "groups", "email_verified" } },
//                       read at every sign-in so a test can change someone's groups between two
//   OIDC_CLIENT_SECRET  the secret of the client `certdesk`
// Prints `ready <issuer>` once it listens. Any password is accepted on its sign-in page: who signs
// in is chosen by the login. Consent is given on the user's behalf (a company's own portal).
//
// `POST /_test/tamper?mode=signature` makes the next token answers carry an ID token whose
// signature is broken (`mode=none` stops it), so the portal's verification can be proved to refuse.
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 0);
const usersFile = process.env.OIDC_USERS;
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'certdesk-test-client-secret';
if (!usersFile) {
  console.error('OIDC_USERS must name a JSON file of users');
  process.exit(2);
}

// A new signing key (and key id) at every start: restarting the provider rotates its keys.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

function users() {
  return JSON.parse(readFileSync(usersFile, 'utf8'));
}

// Any loopback portal of the tests, whatever port it got.
function loopbackUri(value, path) {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname) && url.pathname === path;
  } catch {
    return false;
  }
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'certdesk',
    client_secret: clientSecret,
    client_name: 'certdesk',
    redirect_uris: ['http://127.0.0.1/auth/oidc/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/sign-in'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Claims in the ID token itself, as company providers configure group claims.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const user = users()[id];
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...user }) };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
    await grant.save();
    return grant;
  },
});
provider.Client.prototype.redirectUriAllowed = (value) => loopbackUri(value, '/auth/oidc/callback');
provider.Client.prototype.postLogoutRedirectUriAllowed = (value) => loopbackUri(value, '/sign-in');

let tamper = 'none';
provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/tamper' && ctx.method === 'POST') {
    tamper = ctx.query.mode === 'signature' ? 'signature' : 'none';
    ctx.status = 204;
    return;
  }
  await next();
  if (tamper === 'signature' && ctx.path === '/token' && ctx.body?.id_token) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    ctx.body = { ...ctx.body, id_token: [header, payload, flipped].join('.') };
  }
});

server.on('request', provider.callback());
console.log(`ready ${issuer}`);
