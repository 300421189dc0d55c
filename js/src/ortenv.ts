/**
 * Telemetry off before onnxruntime-node loads (imported first by node.ts, so it runs first).
 *
 * Why: onnxruntime's native library writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,
 * onnxruntime.db} unless ORT_DISABLE_TELEMETRY is set, as the Python runtime's ortenv.py found; a
 * guard that runs inside an app writes nothing it was not asked to. A value the app set is kept.
 */
if (typeof process !== 'undefined' && process.env && process.env.ORT_DISABLE_TELEMETRY === undefined) {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}
export {};
