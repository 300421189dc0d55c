{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "2a5a4125fd595be08dfa8ef5f83c20a8b36f6721ca63d8500db234f90c00c864",
  "signature": "ElKU9kyNCKSweCMPme18Fxycfz5yTsWfy1FL/DL3vRbCzhOYjJ42TjU4Y6F2VXQ7I51uHI/KXDshz1FTo0pIBw=="
}
