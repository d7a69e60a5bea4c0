// A real OpenID Provider for the tests (panva's oidc-provider, from package.json's
// devDependencies): one confidential client, accounts from the small table below, the
// provider's development sign-in pages (any password is accepted for a listed login name).
//
//   node tests/oidc/provider.mjs --redirect-uri http://127.0.0.1:8000/login/oidc/callback \
//        [--client-id kedja] [--client-secret test-secret] [--port 0]
//
// Listens on 127.0.0.1 (a free port by default) and prints one JSON line once it serves:
// {"issuer": "http://127.0.0.1:PORT"}.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// Login name: the claims the provider asserts about that person.
const ACCOUNTS = {
  anna: {
    name: 'Anna Andersson', preferred_username: 'anna', email: 'anna@af.example',
    organisation: 'Arbetsförmedlingen', roles: ['caseworker', 'astronaut'],
  },
  olle: {
    name: 'Olle Okänd', preferred_username: 'olle', email: 'olle@okand.example',
    organisation: 'Okänd organisation AB', roles: ['caseworker'],
  },
  rolf: {
    name: 'Rolf Rollös', preferred_username: 'rolf', email: 'rolf@angered.example',
    organisation: 'Angered', roles: ['superuser'],
  },
};

const { values: args } = parseArgs({
  options: {
    'redirect-uri': { type: 'string' },
    'client-id': { type: 'string', default: 'kedja' },
    'client-secret': { type: 'string', default: 'test-secret' },
    port: { type: 'string', default: '0' },
  },
});
if (!args['redirect-uri']) {
  console.error('--redirect-uri is required');
  process.exit(2);
}

const server = http.createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      organisation: ['organisation', 'roles'],
    },
    // PKCE for every client, confidential ones too (the default asks it of public ones only).
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    // A first-party client: the person is not asked to consent, the grant is made at once.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email organisation');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account }; } };
    },
  });
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
