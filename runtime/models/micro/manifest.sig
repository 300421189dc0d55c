{
  "algorithm": "ed25519",
  "format": "tinyguard-signature/1",
  "key_id": "d9b1c7547d92dc1d",
  "manifest_sha256": "bf46fcbabcfbdffa67da1974499397dded04b1521155f32d0e60a35633c94482",
  "signature": "PiPanNZAksuKswP13gwUL5R5uwBnWdrnReJr2JKV+hTTex2NDNrGgxcu6INTw2B3J+Us+QibTHtuKB53DgNTCQ=="
}
