{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "145b8a10f7a719ff",
  "manifest_sha256": "19ac3e7dd1d6b173b65f3b24834dc42f57663ac50149f0f1d06a4d24efb0627e",
  "signature": "DZUC4gyO2Ptzvz5NcblbbJHuuXgT8kEg+E86XBQx4kWMoUPTNpCyJemZvyeyeQ/pNjI2UMp6MzBSNcdwKCb5DA=="
}
