// The OpenID Connect provider the single sign-on tests start on localhost: node-oidc-provider
// (OpenID Certified) with its development log-in pages, real discovery, the authorization
// code flow with PKCE and ID tokens signed with keys published at its JWKS endpoint.
//
//   node tests/oidc/provider.mjs PORT REDIRECT_URI CLIENT_SECRET
//
// Any log-in name is accepted (the development interactions ask for a name and any
// password); the account's claims: sub = the name, email = name@corfo.example (verified),
// groups = ["iap-managers"] for names starting with "gestor". Prints "ready" when listening.
import Provider from 'oidc-provider';

const [port, redirectUri, secret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'iap-registry',
    client_secret: secret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // the claims in the ID token itself (Streamlit reads the user from it)
  conformIdTokenClaims: false,
  cookies: { keys: ['iap-registry-tests-only'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@corfo.example`,
          email_verified: true,
          name: id,
          groups: id.startsWith('gestor') ? ['iap-managers'] : [],
        };
      },
    };
  },
});

provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
