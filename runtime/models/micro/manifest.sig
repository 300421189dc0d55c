{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "cc9c28ddca6006ae09332cbd90d151a41ae7ec188f964136b8e989da1df53773",
  "signature": "lPxC+1pqJNfSA18zqX3V5C8qoqypG8/xEqrQagaxgOQVfqzGaf4A1W17DD2iDpAkDSkoMeJRk9Q9eBHaQX44BQ=="
}
