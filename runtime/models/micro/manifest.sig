{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "eb210aa184f7202aeaa49868c4e25490ae7667ebf52242685230ad6ce91feda6",
  "signature": "DgdCdEFLUsBHi4528gZ3wkvYwgufgmxx6YfVC2e6Y0KwaMl+RI+apVsNyFv2pxk1mgLScW4VXQhJKHOR2+fMCA=="
}
