// Predictions from a trained model (a run directory in the engine, an ONNX file in
// onnxruntime-node) with the model's own preprocessing, and the static web page of an exported one.
export * from './imageInput';
export * from './predictor';
export * from './predictImages';
export * from './webPage';
export { ORT_WEB_FILES, PAGE_MODEL, PAGE_SCRIPT } from './webPageFiles';
