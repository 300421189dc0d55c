{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "66505131db69f86491b40473cf4aa909171972975d711f569bd231e5e0209830",
  "signature": "eDhL+u+Y8Fesl5X1rAf/3bJ6QMdxA1qYLzu89vl6tHQb9zWjS5UoACOWOia7qVeGEaiCE7BJqDF5unp1ywQYBw=="
}
