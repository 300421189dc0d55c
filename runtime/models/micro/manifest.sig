{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "2ad85bb1394a3350a3e80e8f1c62d372cae18ccedb95ee423d6275a78bc094f6",
  "signature": "qoEpZzP3sAGHPk24HITsDHj25ULPq2UEKHrMAyaIgfHVu6gnZ8Niumw53i81ZZvN5k2yyriNwNmVWEBLwHPwBQ=="
}
