// A real OpenID Connect provider for the SSO tests (oidc-provider, development
// settings: http issuer, its built-in login and consent pages, any password).
//
// Environment:
//   OIDC_TEST_PORT      port to listen on (127.0.0.1)
//   OIDC_TEST_CLIENT    JSON: {"client_id", "client_secret", "redirect_uris": [...]}
//   OIDC_TEST_ACCOUNTS  JSON: {"<login>": {claims given for that login}}
// Prints "ready <issuer>" on stdout once it listens.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = `http://127.0.0.1:${port}`;
const client = JSON.parse(process.env.OIDC_TEST_CLIENT);
const accounts = JSON.parse(process.env.OIDC_TEST_ACCOUNTS);

const provider = new Provider(issuer, {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // The login typed on the built-in login page is the account id (the `sub`).
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: id, ...claims }; },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // supannCodeINE: the INE as French universities' directories release it.
    profile: ['family_name', 'given_name', 'name', 'supannCodeINE'],
  },
  // The relying party must use PKCE even though it is a confidential client.
  pkce: { required: () => true },
  cookies: { keys: ['tests-only-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
