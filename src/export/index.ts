// ONNX export of built networks and modules (docs/export.md). Reads weights from the engine's
// tensors; never runs them.
export * from './onnxProto';
export * from './onnxGraph';
export * from './moduleExporters';
export * from './exportOnnx';
export * from './verifyExport';
export * from './onnxRuntimeNode';
