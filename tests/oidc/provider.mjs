// A real, certified OpenID Connect provider (node-oidc-provider) on loopback for the tests.
// argv: port, client redirect URI. Any login name is accepted by its dev interactions;
// the accounts below give the claims, e.g. "unverified@example.com" an unverified email.
import Provider from 'oidc-provider';

const [port, redirectUris] = process.argv.slice(2);
const accounts = {
  'unverified@example.com': { email_verified: false, groups: [] },
  'ops@example.com': { email_verified: true, groups: ['ops'] },
};
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'vigil', client_secret: 'vigil-client-secret',
    redirect_uris: redirectUris.split(','), grant_types: ['authorization_code'], response_types: ['code'],
  }],
  claims: { email: ['email', 'email_verified'], groups: ['groups'], openid: ['sub'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const known = accounts[id] || { email_verified: true, groups: [] };
    return { accountId: id, claims: async () => ({ sub: id, email: id, ...known }) };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
