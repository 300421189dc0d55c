{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "3166e18549a0eb1c93b4ef43e6099ff13ac1282bc6a83969fbcf915f62dba19e",
  "signature": "Zsxkz09TZ6pwPZfDjwW5eOKI90QC9rwhHvBFCGsqVPvFzy1OVmZJY/xhE+tzBWDYJatsk1OJV5L6SH82bTcCCQ=="
}
