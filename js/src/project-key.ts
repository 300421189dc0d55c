/** The project's Ed25519 public key (runtime/keys/tinyguard-project.pub), for trustedKeys: 'project'. */
export const PROJECT_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA7vgBJu/E7v/J6kxmt5OyFA5qQreiq6zGdnidQbwkKVY=
-----END PUBLIC KEY-----
`;
