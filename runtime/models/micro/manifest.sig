{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "64a95f8fbd275817a19568edd8c3944a432c953a5bfe5ee708f452943c481592",
  "signature": "ermOK8/EHtznTT68DRF3xeKHIPVojqBO1tu91GWyh502j19QjTpE+nwMwRHxNZlv+UY6H097R6uu2fbTiHRXBQ=="
}
