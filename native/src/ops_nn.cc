// Neural-network kernels: convolution, normalisation, activations, pooling, losses, resizing.
#include "box.h"

namespace tsnas {

#define T(i) tensorArg(info, i)
#define OT(i) optTensorArg(info, i)
#define N(i) numArg(info, i)
#define I(i) intArg(info, i)
#define B(i) boolArg(info, i)
#define IS(i) intsArg(info, i)

// reduction names as ATen's enum
static int64_t reductionArg(const Napi::CallbackInfo& info, size_t i) {
  std::string r = strArg(info, i);
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw std::invalid_argument("unknown reduction '" + r + "' (valid: mean, sum, none)");
}

// conv2d(x, w, b?, stride[2], padding[2], dilation[2], groups)
TSNAS_TENSOR_OP(conv2d, at::conv2d(T(0), T(1), OT(2), IS(3), IS(4), IS(5), I(6)))
// linear(x, w, b?)
TSNAS_TENSOR_OP(linear, at::linear(T(0), T(1), OT(2)))
// batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
TSNAS_TENSOR_OP(batchNorm, at::batch_norm(T(0), OT(1), OT(2), OT(3), OT(4), B(5), N(6), N(7), true))

TSNAS_TENSOR_OP(relu, at::relu(T(0)))
TSNAS_TENSOR_OP(hardtanh, at::hardtanh(T(0), N(1), N(2)))
TSNAS_TENSOR_OP(hardswish, at::hardswish(T(0)))
TSNAS_TENSOR_OP(hardsigmoid, at::hardsigmoid(T(0)))
TSNAS_TENSOR_OP(sigmoid, at::sigmoid(T(0)))
TSNAS_TENSOR_OP(silu, at::silu(T(0)))
TSNAS_TENSOR_OP(gelu, at::gelu(T(0)))
TSNAS_TENSOR_OP(softmax, at::softmax(T(0), I(1)))
TSNAS_TENSOR_OP(logSoftmax, at::log_softmax(T(0), I(1)))
TSNAS_TENSOR_OP(dropout, at::dropout(T(0), N(1), B(2)))

// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
TSNAS_TENSOR_OP(avgPool2d, at::avg_pool2d(T(0), IS(1), IS(2), IS(3), B(4), B(5)))
// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
TSNAS_TENSOR_OP(maxPool2d, at::max_pool2d(T(0), IS(1), IS(2), IS(3), IS(4), B(5)))
TSNAS_TENSOR_OP(adaptiveAvgPool2d, at::adaptive_avg_pool2d(T(0), IS(1)))
TSNAS_TENSOR_OP(adaptiveMaxPool2d, std::get<0>(at::adaptive_max_pool2d(T(0), IS(1))))
// interpolateBilinear(x, size[2], alignCorners)
TSNAS_TENSOR_OP(interpolateBilinear, at::upsample_bilinear2d(T(0), IS(1), B(2)))
// pad(x, pads, value): pads the last dims, pairs (left, right) from the last dim backwards.
TSNAS_TENSOR_OP(pad, at::constant_pad_nd(T(0), IS(1), N(2)))
TSNAS_TENSOR_OP(interpolateNearest, at::upsample_nearest2d(T(0), IS(1)))

// crossEntropy(logits, target, reduction, labelSmoothing): class indices (int64) or
// class probabilities (float, same shape as logits).
TSNAS_TENSOR_OP(crossEntropy, at::cross_entropy_loss(T(0), T(1), c10::nullopt, reductionArg(info, 2), -100, N(3)))
TSNAS_TENSOR_OP(mseLoss, at::mse_loss(T(0), T(1), reductionArg(info, 2)))
TSNAS_TENSOR_OP(huberLoss, at::huber_loss(T(0), T(1), reductionArg(info, 2), N(3)))
TSNAS_TENSOR_OP(klDiv, at::kl_div(T(0), T(1), reductionArg(info, 2), B(3)))

void registerNN(Napi::Env env, Napi::Object e) {
  TSNAS_EXPORT(e, env, conv2d); TSNAS_EXPORT(e, env, linear); TSNAS_EXPORT(e, env, batchNorm);
  TSNAS_EXPORT(e, env, relu); TSNAS_EXPORT(e, env, hardtanh); TSNAS_EXPORT(e, env, hardswish);
  TSNAS_EXPORT(e, env, hardsigmoid); TSNAS_EXPORT(e, env, sigmoid); TSNAS_EXPORT(e, env, silu);
  TSNAS_EXPORT(e, env, gelu); TSNAS_EXPORT(e, env, softmax); TSNAS_EXPORT(e, env, logSoftmax);
  TSNAS_EXPORT(e, env, dropout); TSNAS_EXPORT(e, env, avgPool2d); TSNAS_EXPORT(e, env, maxPool2d);
  TSNAS_EXPORT(e, env, adaptiveAvgPool2d); TSNAS_EXPORT(e, env, adaptiveMaxPool2d);
  TSNAS_EXPORT(e, env, interpolateBilinear); TSNAS_EXPORT(e, env, pad); TSNAS_EXPORT(e, env, interpolateNearest);
  TSNAS_EXPORT(e, env, crossEntropy); TSNAS_EXPORT(e, env, mseLoss); TSNAS_EXPORT(e, env, huberLoss);
  TSNAS_EXPORT(e, env, klDiv);
}

}  // namespace tsnas
