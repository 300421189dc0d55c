{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "bdd8a413ff46736e4b0be11717395c9d644d5c172e8e8ba62b49c342ce580249",
  "signature": "XytGb9xvAGA8cGbHCW/5F+ChQPMH4Z0vO8pe4D6Q6AkMzbO4Vh2UNW2qabTtoab3+8RGoOXL5eT1IYqGjzlyCQ=="
}
