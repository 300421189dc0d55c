{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "50478e452944125bb2d17dbc4b8811d862419c5dccde8f414eac421a5fb12557",
  "signature": "IChUvbaUNGuef1e0TvYzikamRLJsf6NP700o8LjPY+OIcdh17VcVp4P9562RzSf6miyMrAaqYaZFgkWylq6ODg=="
}
