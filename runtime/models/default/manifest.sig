{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "145b8a10f7a719ff",
  "manifest_sha256": "345c13be897617cfb8f3b4a3945323412f318729ccfa470d13bf5ee17ca92807",
  "signature": "ZqNtbzBdR+f3qq1LbZ6tTcf6FjP5hJWCKk8UcGYtxQy2a13LlfrNYDa5ywTgEvDW22z8vyw09C6HHt6VRBLmCQ=="
}
