{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "145b8a10f7a719ff",
  "manifest_sha256": "ceef9a25e69472b221b4bcc7cc1f055281fa51fe0f33ca376b795d7b8cdcc812",
  "signature": "1P14Xn9BT388hDqdPERy33GmH7R5dDUUD7lG6IwV/RWWL69EeVSuSlQrC1SE0gTS1invuPhG4nC9NAdMlv5aAg=="
}
