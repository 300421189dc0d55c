{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "39d4b4052831ee0671a491dbbf9d73ebf87562062ea1c74500075914c4e8ec08",
  "signature": "CGtTkc+hCB6bCavYaBEWRRWqB57AjzXA3CGOM9aFzLpTQFaI6NzczwCAJo00GMfMtkl/MbGZylruG2dUN4wZAw=="
}
