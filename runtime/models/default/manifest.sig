{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "f43cd20167ba5151ab9610b41ce497e15186a1aa6958331ae5ad6ea6d0ebfea2",
  "signature": "K9CVdPt/3tzJ7E11RlzzfG1LhRHVrwpCPosROFoTmZ/ZNuGsLs5c6nsbeXFO0YwNfW9IuJEk0YTHdTmcOJOSAw=="
}
