{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "0423f16c2c1d7864",
  "manifest_sha256": "b6963d3705d51ea5b452e6eb3466e8fcddecd6afa618a1671ba841d8e3baf492",
  "signature": "viCEnzK5cnUcslCI+sQ/JDCoa42nm/XzSg28CpcYe/F6fTgWXJ1QoK3n5dzPbyFVdlmB8N4HdlHNRdrtKbPeDw=="
}
