{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "d1ce5bd065da5a388f7e92a7cab298adc2a58ff6219eabd67c01c239561e8dc6",
  "signature": "P5KEETm5CCdLrl1aGefACWmCFDa1bRUVFD1imeDC5hUbqCzn5AfROy1tbtm8ghwsJnRVKmIk1R+FDnCU3ibABw=="
}
