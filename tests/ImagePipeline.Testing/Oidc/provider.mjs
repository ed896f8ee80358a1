// A real OpenID Connect provider for the sign-in tests: npm oidc-provider (OpenID Certified), on a loopback port,
// with a public PKCE client, the test users (any password), JWT access tokens for one API audience (resource
// indicators), and the signing key the test gives it (so a test can also make tokens the provider did not issue).
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_AUDIENCE, OIDC_REDIRECT_URIS (space-separated), OIDC_KEY_FILE (a private JWK),
//   OIDC_USERS (space-separated, default "alice bob"). Prints "oidc-provider listening on <issuer>" when ready and
// exits when its standard input closes (the test process died).
import Provider, { errors } from 'oidc-provider';
import { readFileSync } from 'node:fs';

const env = (name) => process.env[name] ?? (() => { throw new Error(`${name} is required`); })();
const port = Number(env('OIDC_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const clientId = env('OIDC_CLIENT_ID');
const audience = env('OIDC_AUDIENCE');
const redirectUris = env('OIDC_REDIRECT_URIS').split(' ').filter(Boolean);
const users = new Set((process.env.OIDC_USERS ?? 'alice bob').split(' ').filter(Boolean));
const key = JSON.parse(readFileSync(env('OIDC_KEY_FILE'), 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  jwks: { keys: [key] },
  cookies: { keys: ['imagepipeline-tests-only'] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name'] },
  async findAccount(ctx, id) {
    if (!users.has(id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, name: id[0].toUpperCase() + id.slice(1) }; } };
  },
  // First-party client: no consent screen; every request gets the OIDC scopes and the API's scope.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile offline_access');
    grant.addResourceScope(audience, 'api');
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resource) {
        if (resource !== audience) throw new errors.InvalidTarget();
        return { scope: 'api', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
