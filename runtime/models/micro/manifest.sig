{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "71c9d5cc3202267820a428990efafcd066d8e981964aa1caa756a2162f0c66a1",
  "signature": "rNlPeQfNs5muhNNje1X7KgtrNV5gjhj3RSci/oVJS+BNFVDJUT+B4skhB2n4+qX/DCb4FMu3p+/trhQtRlgBBw=="
}
