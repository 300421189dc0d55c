/** The project's Ed25519 public key (runtime/keys/tinyguard-project.pub), for trustedKeys: 'project'. */
export const PROJECT_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAEFXInTmJblk5qS2569JJdKPqa2n4Phx7xJnBXiGL/Gk=
-----END PUBLIC KEY-----
`;
