{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "b7711f2d89c1ae5b5959664b9f719544bad250224b347b0c967c18f2f9135bbb",
  "signature": "oLhel0sqtc2gFDr0FFAoapsb3Khe9cjdFVjuwXBrbWX1dv6NJ1nCsokbjUEeta9ANl+GCO8MSZ/gTZp+FaUdDg=="
}
