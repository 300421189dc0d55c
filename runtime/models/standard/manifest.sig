{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "78bbe2893dcfe3279d76ed4b7d17b81596eab809266ff22ba28195011381cef2",
  "signature": "LuZ0c1SjVI+u27MAhWA9d36xuJrtRZUd0nhTdZVvSwWjTizbiHKbm/JmEWgObM9Bca4huyogmhxwwc0DRfrCBQ=="
}
