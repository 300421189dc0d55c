{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "19ac3e7dd1d6b173b65f3b24834dc42f57663ac50149f0f1d06a4d24efb0627e",
  "signature": "xNAYau29SrN89OGhoRh13ssyTr5wLrUQZK9thHu1FVaP6xluJeRqjixhf1uamD8HDBlXhP9na4VaSWLncSCTBA=="
}
